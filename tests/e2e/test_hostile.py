"""Hostile clients: 1,000 connection attempts over the limit, slow-loris clients sending a
byte at a time, garbage. The server neither crashes nor stalls its well-behaved clients, and
the log says so once instead of a thousand times."""
import socket
import threading
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import site_config
from sim_harness import wait_until
from site_fixture import SiteCase


class HostileTest(SiteCase):
    @classmethod
    def site(cls):
        return site_config("  max_connections: 20\n  frame_timeout: 1\n")

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.bridge.port), timeout=2)

    def test_thousand_connections_over_the_limit(self):
        good = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=2)
        self.assertTrue(good.connect())
        held = [self.connect() for _ in range(19)]  # the limit is 20, with `good`
        refused = 0
        t0 = time.monotonic()
        for _ in range(1000):
            s = self.connect()
            s.settimeout(2)
            try:
                if s.recv(1) == b"":
                    refused += 1  # closed by the server at once
            except ConnectionResetError:
                refused += 1
            finally:
                s.close()
        self.assertEqual(refused, 1000)
        self.assertLess(time.monotonic() - t0, 20)
        rr = good.read_holding_registers(10, 1, slave=1)  # the well-behaved client is served
        self.assertFalse(rr.isError(), rr)
        self.assertEqual(rr.registers, [2304])
        for s in held:
            s.close()

        def served():  # once the bridge has seen the closes, a new client is served again
            other = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=2)
            try:
                return other.connect() and not other.read_holding_registers(10, 1, slave=1).isError()
            finally:
                other.close()

        self.assertTrue(wait_until(served, 5))
        good.close()
        # The refusals are logged at most every 10 s, with a count, not once per attempt.
        lines = [l for l in self.bridge.drain().splitlines() if "refused connection" in l]
        self.assertGreaterEqual(len(lines), 1)
        self.assertLessEqual(len(lines), 2)


    def test_slow_loris_clients_do_not_stall_others(self):
        stop = threading.Event()
        closed = []

        def loris():
            s = self.connect()
            req = bytes([0, 1, 0, 0, 0, 6, 1, 3, 0, 10, 0, 1])
            try:
                for b in req * 100:
                    if stop.is_set():
                        break
                    s.send(bytes([b]))
                    time.sleep(0.3)  # slower than frame_timeout allows for a whole frame
            except OSError:
                closed.append(True)  # the server closed it
            finally:
                s.close()

        threads = [threading.Thread(target=loris) for _ in range(8)]
        for t in threads:
            t.start()
        c = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=2)
        self.assertTrue(c.connect())
        worst = 0.0
        t_end = time.monotonic() + 3
        while time.monotonic() < t_end:
            t0 = time.monotonic()
            self.assertFalse(c.read_holding_registers(10, 1, slave=1).isError())
            worst = max(worst, time.monotonic() - t0)
        stop.set()
        for t in threads:
            t.join()
        c.close()
        self.assertLess(worst, 0.1)
        self.assertGreaterEqual(len(closed), 6)  # frame_timeout closed the slow ones

    def test_garbage_and_wrong_lengths(self):
        for payload in (bytes(range(256)), b"\x00\x01\x00\x00\x00\x02\x01", b"\xff" * 300,
                        bytes([0, 1, 0, 0, 0, 9, 1, 0x10, 0, 0, 0, 50, 100, 0, 1])):
            s = self.connect()
            s.sendall(payload)
            s.settimeout(2)
            try:
                s.recv(512)  # an exception reply, or the connection closed: both are fine
            except OSError:
                pass
            s.close()
        c = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=2)
        self.assertTrue(c.connect())
        self.assertFalse(c.read_holding_registers(10, 1, slave=1).isError())
        c.close()


if __name__ == "__main__":
    unittest.main()
