"""Type=notify: the bridge says READY=1 once it listens, feeds the watchdog at half of
WATCHDOG_USEC, and says STOPPING=1 on SIGTERM — to a datagram socket like systemd's."""
import os
import socket
import subprocess
import tempfile
import time
import unittest

from bridge_harness import BIN, EXAMPLE_MAP


class NotifyTest(unittest.TestCase):
    def test_ready_watchdog_stopping(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "notify")
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.bind(path)
            sock.settimeout(5)
            cfg = os.path.join(tmp, "site.yaml")
            with open(cfg, "w") as f:
                f.write("modbus: {listen: 127.0.0.1:0}\ndevices: {m: {driver: static}}\n"
                        f"units:\n  - {{unit_id: 1, device: m, map: {EXAMPLE_MAP}}}\n")
            env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="200000", JOURNAL_STREAM="1:1")
            env.pop("WATCHDOG_PID", None)
            p = subprocess.Popen([BIN, "run", "-c", cfg], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            try:
                self.assertIn(b"READY=1", sock.recv(256))
                t0 = time.monotonic()
                feeds = 0
                while time.monotonic() - t0 < 0.65:
                    if b"WATCHDOG=1" in sock.recv(256):
                        feeds += 1
                self.assertGreaterEqual(feeds, 4)  # every 100 ms
                p.terminate()
                msgs = b""
                while b"STOPPING=1" not in msgs:
                    msgs += sock.recv(256)
                self.assertEqual(p.wait(5), 0)
                # Under journald the lines carry no timestamp of their own.
                self.assertRegex(p.stderr.read().decode(), r"^<6>modbus: Modbus TCP listening")
            finally:
                if p.poll() is None:
                    p.kill()
                p.stderr.close()
                sock.close()


if __name__ == "__main__":
    unittest.main()
