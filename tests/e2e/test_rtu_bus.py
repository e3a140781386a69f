"""End-to-end Modbus RTU as an Xcom-485i speaks it: every unit of the Studer example on one
serial line (socat pty pair, 9600 8E1 and 115200 8N1) read by mbpoll, pymodbus's RTU client and
raw frames as a PLC sends them; a confirmed FC16 to the RAM area (+6000) that the Xcom simulator
takes; a bus shared with other slaves (their requests and replies between ours: silence),
garbage, bad CRCs, half frames, broadcast; and RTU over TCP (pymodbus ModbusTcpClient with the
RTU framer, 64 clients at once)."""
import os
import select
import socket
import struct
import subprocess
import threading
import time
import unittest

from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.transaction import ModbusRtuFramer

from bridge_harness import free_port
from sim_harness import Simulator, wait_until, xcom_link
from site_fixture import SiteCase
from test_xcom485i import MAPS, f32, regs_of



def crc16(data):
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return bytes([crc & 0xFF, crc >> 8])


def frame(*body):
    b = bytes(body)
    return b + crc16(b)


class RtuLine:
    """The master's end of the line: raw bytes in and out (a PLC's view)."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)

    def send(self, data):
        os.write(self.fd, data)

    def read(self, quiet=0.3):
        """Everything the bridge sends until the line is quiet for `quiet` s."""
        out = b""
        while True:
            r, _, _ = select.select([self.fd], [], [], quiet)
            if not r:
                return out
            out += os.read(self.fd, 512)

    def close(self):
        os.close(self.fd)


class RtuBusCase(SiteCase):
    abstract_case = True
    baud, parity = 9600, "even"
    ready_log = "Xcom answering"
    client_timeout = 10

    @classmethod
    def simulators(cls):
        sim_args, cls.transport = xcom_link("udp", cls.dir.name)
        cls.srv = os.path.join(cls.dir.name, "ttyS_srv")
        cls.cli = os.path.join(cls.dir.name, "ttyS_cli")
        cls.socat = subprocess.Popen(["socat", f"pty,raw,echo=0,link={cls.srv}",
                                      f"pty,raw,echo=0,link={cls.cli}"],
                                     stderr=subprocess.DEVNULL)
        assert wait_until(lambda: os.path.exists(cls.srv) and os.path.exists(cls.cli), 5)
        return {"sim": Simulator("xcom", *sim_args, "--latency", "10")}

    @classmethod
    def site(cls):
        return (f"modbus:\n  listen: 127.0.0.1:0\n  write_timeout: 8\n"
                f"  rtu: {{port: {cls.srv}, baud: {cls.baud}, parity: {cls.parity}}}\n"
                f"devices:\n  studer:\n    driver: xcom\n    transport: {cls.transport}\n"
                "    timeout: 0.4\n    retries: 1\n    fast: 0.5\n    slow: 2\n"
                "units:\n"
                f"  - {{unit_id: 1, device: studer, address: 501, map: {MAPS}/gateway.yaml}}\n"
                f"  - {{unit_id: 11, device: studer, address: 101, map: {MAPS}/xtender.yaml}}\n"
                f"  - {{unit_id: 21, device: studer, address: 301, map: {MAPS}/variotrack.yaml}}\n"
                f"  - {{unit_id: 41, device: studer, address: 701, map: {MAPS}/variostring.yaml}}\n"
                f"  - {{unit_id: 61, device: studer, address: 601, map: {MAPS}/bsp.yaml}}\n")

    @classmethod
    def ready(cls):
        rr = cls.client.read_input_registers(0, 2, slave=11)
        return not rr.isError() and f32(rr.registers) > 40

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.socat.terminate()
        cls.socat.wait(5)

    def setUp(self):
        self.line = RtuLine(self.cli)
        self.line.read(0.05)  # nothing left over from the test before

    def tearDown(self):
        self.line.close()

    def fc4(self, unit, addr, count=2):
        return frame(unit, 4, addr >> 8, addr & 0xFF, 0, count)

    def answer_of(self, unit, addr=0):
        """A whole FC4 request and our reply on the raw line."""
        self.line.send(self.fc4(unit, addr))
        return self.line.read()

    def test_mbpoll_reads_every_unit_on_one_port(self):
        parity = "even" if self.parity == "even" else "none"
        for unit in (1, 11, 21, 41, 61):
            kind = "3" if unit == 1 else "3:float"
            addr = 5 if unit == 1 else 0  # the gateway's Xtender count; battery voltages
            p = subprocess.run(["mbpoll", "-m", "rtu", "-b", str(self.baud), "-P", parity,
                                "-a", str(unit), "-t", kind, "-B", "-0", "-r", str(addr), "-1",
                                "-o", "2", self.cli], capture_output=True, text=True, timeout=20)
            self.assertIn(f"[{addr}]:", p.stdout, f"unit {unit}: {p.stdout} {p.stderr}")
            value = float(p.stdout.split(f"[{addr}]:")[1].split()[0])
            if unit == 1:
                self.assertEqual(value, 1, "one Xtender on the Xcom")
            else:
                self.assertTrue(40 < value < 70, f"unit {unit} battery voltage {value}")

    def test_pymodbus_rtu_client_and_a_confirmed_ram_write(self):
        c = ModbusSerialClient(method="rtu", port=self.cli, baudrate=self.baud,
                               parity="E" if self.parity == "even" else "N", timeout=3,
                               strict=False)  # a pty takes no inter-character timeout
        self.assertTrue(c.connect())
        try:
            for unit in (11, 21, 41, 61):
                rr = c.read_input_registers(0, 2, slave=unit)
                self.assertFalse(rr.isError(), f"unit {unit}: {rr}")
            # 1107 (AC-in current limit) in RAM: FC16 at 6000 + 2 x 107, confirmed by the
            # Xcom (the reply comes after the device took it).
            rr = c.write_registers(6014, regs_of(14.0), slave=11)
            self.assertFalse(rr.isError(), rr)
            self.assertAlmostEqual(f32(self.client.read_holding_registers(6014, 2, slave=11).registers), 14.0)
            rr = c.write_registers(6014, regs_of(99.0), slave=11)  # outside 1107's range
            self.assertTrue(rr.isError(), "the device's refusal reaches the RTU master")
        finally:
            c.close()

    def test_other_slaves_noise_and_half_frames_get_silence(self):
        # Another slave's request and its reply on the shared bus, then ours - even without
        # the silences between them the run is cut into frames: one answer, ours.
        self.line.send(self.fc4(99, 0) + frame(99, 4, 4, 0x42, 0x48, 0, 0))
        got = self.answer_of(11)
        self.assertEqual(got[:3], bytes([11, 4, 4]), got.hex())
        self.assertEqual(got[-2:], crc16(got[:-2]))
        self.assertEqual(len(got), 9, "nothing for unit 99, no reply to its reply")
        # A unit this site does not have: silence.
        self.assertEqual(self.answer_of(77), b"")
        # A bad CRC: silence; then the next request is answered.
        bad = bytearray(self.fc4(11, 0))
        bad[-1] ^= 0xFF
        self.line.send(bytes(bad))
        self.assertEqual(self.line.read(), b"")
        # Garbage and half a frame, each ended by silence: nothing; the line recovers.
        self.line.send(bytes([0x00, 0xFF, 0x13, 0x37, 0x55]))
        self.assertEqual(self.line.read(), b"")
        self.line.send(self.fc4(11, 0)[:5])
        self.assertEqual(self.line.read(), b"")
        got = self.answer_of(61)
        self.assertEqual(got[:3], bytes([61, 4, 4]), got.hex())

    def test_broadcast_write_is_applied_without_a_reply(self):
        body = [0, 16, 6014 >> 8, 6014 & 0xFF, 0, 2, 4]
        for r in regs_of(12.0):
            body += [r >> 8, r & 0xFF]
        self.line.send(frame(*body))
        self.assertEqual(self.line.read(0.5), b"", "a broadcast is never answered")
        self.assertTrue(wait_until(lambda: abs(f32(self.client.read_holding_registers(
            6014, 2, slave=11).registers) - 12.0) < 0.01, 10), "the Xtender took it")


class RtuBus9600EvenTest(RtuBusCase):
    baud, parity = 9600, "even"


class RtuBus115200NoneTest(RtuBusCase):
    baud, parity = 115200, "none"


class RtuOverTcpTest(SiteCase):
    """RTU frames on TCP, as behind a transparent serial-to-Ethernet converter."""
    ready_log = "Xcom answering"

    @classmethod
    def simulators(cls):
        sim_args, cls.transport = xcom_link("udp", cls.dir.name)
        cls.rtu_port = free_port(socket.SOCK_STREAM)
        return {"sim": Simulator("xcom", *sim_args, "--latency", "10")}

    @classmethod
    def site(cls):
        return (f"modbus:\n  listen: 127.0.0.1:0\n  rtu_over_tcp: {{listen: 127.0.0.1:{cls.rtu_port}}}\n"
                "  max_connections: 80\n  frame_timeout: 0.5\n"
                f"devices:\n  studer:\n    driver: xcom\n    transport: {cls.transport}\n"
                "    timeout: 0.4\n    fast: 0.5\n    slow: 2\n"
                f"units:\n  - {{unit_id: 11, device: studer, address: 101, map: {MAPS}/xtender.yaml}}\n"
                f"  - {{unit_id: 61, device: studer, address: 601, map: {MAPS}/bsp.yaml}}\n")

    @classmethod
    def ready(cls):
        rr = cls.client.read_input_registers(0, 2, slave=11)
        return not rr.isError() and f32(rr.registers) > 40

    def test_pymodbus_with_the_rtu_framer(self):
        c = ModbusTcpClient("127.0.0.1", port=self.rtu_port, framer=ModbusRtuFramer, timeout=3)
        self.assertTrue(c.connect())
        try:
            for unit in (11, 61):
                rr = c.read_input_registers(0, 2, slave=unit)
                self.assertFalse(rr.isError(), f"unit {unit}: {rr}")
                self.assertTrue(40 < f32(rr.registers) < 70)
        finally:
            c.close()

    def test_unknown_units_and_bad_crcs_stay_silent(self):
        s = socket.create_connection(("127.0.0.1", self.rtu_port), timeout=2)
        try:
            bad = bytearray(frame(11, 4, 0, 0, 0, 2))
            bad[-1] ^= 0x55
            s.sendall(frame(77, 4, 0, 0, 0, 2) + bytes(bad) + frame(61, 4, 0, 0, 0, 2))
            got = s.recv(64)
            self.assertEqual(got[:3], bytes([61, 4, 4]), "only unit 61 answers: " + got.hex())
            s.settimeout(0.3)
            with self.assertRaises(socket.timeout):
                s.recv(64)
        finally:
            s.close()

    def test_hostile_input_leaves_the_others_served(self):
        # Half a frame: closed after frame_timeout, like a TCP client's half frame.
        half = socket.create_connection(("127.0.0.1", self.rtu_port), timeout=3)
        half.sendall(frame(11, 4, 0, 0, 0, 2)[:5])
        self.assertEqual(half.recv(16), b"", "closed after the frame timeout")
        half.close()
        # Over the connection limit: closed at once, the others keep being served.
        extra = [socket.create_connection(("127.0.0.1", self.rtu_port)) for _ in range(100)]
        try:
            closed = set()
            end = time.monotonic() + 3
            while len(closed) < 20 and time.monotonic() < end:
                ready, _, _ = select.select([x for x in extra if x not in closed], [], [], 0.2)
                for x in ready:
                    if x.recv(1) == b"":
                        closed.add(x)
            self.assertGreaterEqual(len(closed), 20, "beyond max_connections: closed")
        finally:
            for s in extra:
                s.close()
        # Garbage: silence, and the connection still serves the next good frame. (The server
        # notices the closed extra connections a moment later: until then a new one may still
        # be over the limit.)
        def garbage_then_a_request():
            s = socket.create_connection(("127.0.0.1", self.rtu_port), timeout=3)
            try:
                s.sendall(bytes(range(7, 64)) + frame(11, 4, 0, 0, 0, 2))
                return s.recv(64)
            except OSError:
                return b""
            finally:
                s.close()
        got = []
        self.assertTrue(wait_until(lambda: got.append(garbage_then_a_request()) or
                                   got[-1][:3] == bytes([11, 4, 4]), 10, 0.2), got)
        c = ModbusTcpClient("127.0.0.1", port=self.rtu_port, framer=ModbusRtuFramer, timeout=3)
        self.assertTrue(c.connect())
        try:
            self.assertFalse(c.read_input_registers(0, 2, slave=11).isError(), "still served")
        finally:
            c.close()

    def test_64_clients_at_once(self):
        errors, done = [], []

        def client():
            c = ModbusTcpClient("127.0.0.1", port=self.rtu_port, framer=ModbusRtuFramer,
                                timeout=5)
            try:
                if not c.connect():
                    errors.append("connect")
                    return
                for _ in range(5):
                    rr = c.read_input_registers(0, 2, slave=11)
                    if rr.isError():
                        errors.append(str(rr))
                done.append(1)
            finally:
                c.close()
        threads = [threading.Thread(target=client) for _ in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        self.assertEqual(errors, [])
        self.assertEqual(len(done), 64)


if __name__ == "__main__":
    unittest.main()


class TwoPortsTest(SiteCase):
    """Two RTU ports, each with its own units; a slow confirmed write on one port holds only
    that bus - the other port and Modbus TCP keep answering meanwhile."""

    @classmethod
    def simulators(cls):
        cls.socats, cls.lines = [], []
        for name in ("a", "b"):
            srv = os.path.join(cls.dir.name, f"{name}_srv")
            cli = os.path.join(cls.dir.name, f"{name}_cli")
            cls.socats.append(subprocess.Popen(["socat", f"pty,raw,echo=0,link={srv}",
                                                f"pty,raw,echo=0,link={cli}"],
                                               stderr=subprocess.DEVNULL))
            cls.lines.append((srv, cli))
        assert wait_until(lambda: all(os.path.exists(p) for l in cls.lines for p in l), 5)
        return {}

    @classmethod
    def site(cls):
        example = os.path.join(os.path.dirname(MAPS), "examples", "static-example.yaml")
        (a_srv, _), (b_srv, _) = cls.lines
        return ("modbus:\n  listen: 127.0.0.1:0\n  write_timeout: 5\n  rtu:\n"
                f"    - {{port: {a_srv}, baud: 115200, parity: none, units: [1]}}\n"
                f"    - {{port: {b_srv}, baud: 115200, parity: none, units: [2]}}\n"
                "devices:\n  slow: {driver: static, latency: 1.5}\n  fast: {driver: static}\n"
                f"units:\n  - {{unit_id: 1, device: slow, map: {example}}}\n"
                f"  - {{unit_id: 2, device: fast, map: {example}}}\n")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        for s in cls.socats:
            s.terminate()
            s.wait(5)

    def test_a_slow_write_holds_only_its_own_bus(self):
        a = RtuLine(self.lines[0][1])
        b = RtuLine(self.lines[1][1])
        try:
            self.assertEqual(a.read(0.05) + b.read(0.05), b"")
            # Unit 2 is on port b only: port a stays silent for it.
            a.send(frame(2, 3, 0, 10, 0, 1))
            self.assertEqual(a.read(0.3), b"")
            # FC6 to unit 1 (1.5 s to confirm) on port a ...
            started = time.monotonic()
            a.send(frame(1, 6, 0, 100, 0x04, 0xD2))
            # ... while port b answers unit 2 at once.
            b.send(frame(2, 3, 0, 10, 0, 1))
            got = b.read(0.2)
            self.assertEqual(got[:3], bytes([2, 3, 2]), got.hex())
            self.assertLess(time.monotonic() - started, 1.0, "port b did not wait for port a")
            echo = a.read(2.5)
            self.assertEqual(echo, frame(1, 6, 0, 100, 0x04, 0xD2), "the confirmed write's echo")
            self.assertGreater(time.monotonic() - started, 1.4, "after the device confirmed")
        finally:
            a.close()
            b.close()
