"""End-to-end Xcom: the real bridge and the Xcom-232i simulator over each transport (UDP like a
MOXA in UDP mode, serial on a pty in both personalities, TCP server with the MOXA dialling in,
TCP client), read and written with pymodbus as Studer's own Xcom-485i client would."""
import os
import threading
import struct
import tempfile
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import Bridge, SOURCE
from sim_harness import Simulator, wait_until, xcom_link
from site_fixture import SiteCase

MAPS = os.path.join(SOURCE, "maps", "studer-xcom485i")


def f32(regs):
    return struct.unpack(">f", struct.pack(">HH", *regs))[0]


def regs_of(value):
    return list(struct.unpack(">HH", struct.pack(">f", value)))


def site(transport, extra_units="", options=""):
    return (
        "modbus: {listen: 127.0.0.1:0, write_timeout: 8}\n"
        f"devices:\n  studer:\n    driver: xcom\n    transport: {transport}\n"
        f"    timeout: 0.4\n    retries: 1\n    fast: 0.5\n    slow: 2\n    offline_after: 3\n{options}"
        "units:\n"
        f"  - {{unit_id: 1, device: studer, address: 501, map: {MAPS}/gateway.yaml}}\n"
        f"  - {{unit_id: 11, device: studer, address: 101, map: {MAPS}/xtender.yaml}}\n"
        f"  - {{unit_id: 21, device: studer, address: 301, map: {MAPS}/variotrack.yaml}}\n"
        f"  - {{unit_id: 41, device: studer, address: 701, map: {MAPS}/variostring.yaml}}\n"
        f"  - {{unit_id: 61, device: studer, address: 601, map: {MAPS}/bsp.yaml}}\n" + extra_units)


class XcomCase(SiteCase):
    """Shared checks; subclasses pick the transport (prepare) and extra units or options."""

    abstract_case = True
    sim_args = ()
    transport = ""
    ready_log = "Xcom answering"
    client_timeout = 10

    @classmethod
    def simulators(cls):
        cls.prepare()
        return {"sim": Simulator("xcom", *cls.sim_args, "--latency", "10")}

    @classmethod
    def site(cls):
        return site(cls.transport, cls.extra_units(), cls.options())

    @classmethod
    def ready(cls):
        rr = cls.client.read_input_registers(0, 2, slave=11)
        return not rr.isError() and f32(rr.registers) > 40

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def extra_units(cls):
        return ""

    @classmethod
    def options(cls):
        return ""

    def ir(self, addr, unit):
        """An info value, once the first poll sweep has brought it (NaN until then)."""
        def value():
            rr = self.client.read_input_registers(addr, 2, slave=unit)
            self.assertFalse(rr.isError(), rr)
            v = f32(rr.registers)
            return None if v != v else v
        v = wait_until(value, 10)
        self.assertIsNotNone(v)
        return v


    def hr(self, addr, unit=11):
        rr = self.client.read_holding_registers(addr, 2, slave=unit)
        self.assertFalse(rr.isError(), rr)
        return f32(rr.registers)

    def test_fc4_info_3000_on_unit_11(self):
        volts = self.ir(0, 11)  # battery voltage of the simulated plant's 48 V bank
        self.assertTrue(46 < volts < 58, volts)
        self.assertAlmostEqual(self.ir(4, 61), 70, delta=3)         # BSP SoC (7002), from 70 %
        self.assertAlmostEqual(self.ir(0, 21), volts, delta=0.3)    # VarioTrack 11000: one battery
        self.assertAlmostEqual(self.ir(0, 41), volts, delta=0.3)    # VarioString 15000

    def test_fc3_param_1107_at_14_with_min_and_max(self):
        self.assertTrue(wait_until(lambda: not self.client.read_holding_registers(14, 2, slave=11).isError()
                                   and self.hr(14) == 32.0, 15))
        self.assertTrue(wait_until(lambda: self.hr(2014) == 2.0 and self.hr(4014) == 50.0, 15), (self.hr(2014), self.hr(4014)))

    def test_fc16_at_6014_writes_ram_only(self):
        rr = self.client.write_registers(6014, regs_of(16.0), slave=11)
        self.assertFalse(rr.isError(), rr)
        st = self.sim.control("param 101 1107")
        self.assertEqual(float(st["ram"]), 16.0)
        self.assertEqual(float(st["flash"]), 32.0)      # flash untouched
        self.assertEqual(st["flash_writes"], "0")
        self.assertEqual(self.hr(6014), 16.0)          # re-read after the write

    def test_write_outside_the_catalogue_limits_is_refused_before_the_device(self):
        before = self.sim.control("param 101 1107")
        rr = self.client.write_registers(6014, regs_of(100.0), slave=11)  # max 50
        self.assertEqual(rr.exception_code, 3)  # ILLEGAL DATA VALUE
        # Nothing reached the device: RAM, flash and the flash-write count are as they were.
        self.assertEqual(self.sim.control("param 101 1107"), before)
        self.assertNotEqual(self.hr(6014), 100.0)


    def test_gateway_unit_counts_devices(self):
        rr = self.client.read_input_registers(5, 4, slave=1)
        self.assertFalse(rr.isError(), rr)
        self.assertEqual(rr.registers, [1, 1, 1, 1])


class XcomUdpTest(XcomCase):
    @classmethod
    def prepare(cls):
        cls.sim_args, cls.transport = xcom_link("udp", cls.dir.name)

    @classmethod
    def extra_units(cls):
        # An Xtender that is not there, and a parameter mapped without limits (the device checks).
        unlimited = os.path.join(cls.dir.name, "unlimited.yaml")
        with open(unlimited, "w") as f:
            f.write("schema: 1\nname: unlimited\ndriver: xcom\nholding:\n"
                    "  - {name: p1107, address: 0, type: f32, access: rw, source: {param: 1107}, persist: true}\n"
                    "  - {name: p1107_ram, address: 2, type: f32, access: rw, source: {param: 1107, property: ram}}\n")
        return (f"  - {{unit_id: 12, device: studer, address: 102, map: {MAPS}/xtender.yaml}}\n"
                f"  - {{unit_id: 99, device: studer, address: 101, map: {unlimited}}}\n")

    def test_flash_write_at_14_counts(self):
        rr = self.client.write_registers(14, regs_of(20.0), slave=11)
        self.assertFalse(rr.isError(), rr)
        st = self.sim.control("param 101 1107")
        self.assertEqual(float(st["flash"]), 20.0)
        self.assertEqual(st["flash_writes"], "1")
        self.assertEqual(self.hr(14), 20.0)

    def test_a_second_write_does_not_cut_the_busy_back_off_short(self):
        """GATEWAY_BUSY: a write backs off 0.5 + 1 + 2 + 4 s, then 0x06 - even when another
        client's write arrives meanwhile (it used to wake the driver, which retried at once)."""
        other = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=30)
        self.assertTrue(other.connect())
        self.sim.control("busy on")
        first = {}

        def write_first():
            t0 = time.monotonic()
            first["code"] = self.client.write_registers(6014, regs_of(11.0), slave=11).exception_code
            first["took"] = time.monotonic() - t0

        try:
            w = threading.Thread(target=write_first)
            w.start()
            time.sleep(0.3)
            # Queued behind the first: the bridge's write_timeout (8 s) may answer it first.
            second = other.write_registers(6014, regs_of(12.0), slave=11).exception_code
            w.join()
        finally:
            self.sim.control("busy off")
            other.close()
        self.assertEqual(first["code"], 6)
        self.assertGreater(first["took"], 7.0)
        self.assertIn(second, (6, 0x0B))

    def test_device_errors_become_exceptions(self):
        # DATA_TOO_BIG from the device -> 0x03

        self.assertEqual(self.client.write_registers(2, regs_of(99.0), slave=99).exception_code, 3)
        # DEVICE_NOT_FOUND (no Xtender 2) -> 0x0B
        self.assertEqual(self.client.write_registers(6014, regs_of(10.0), slave=12).exception_code, 0x0B)
        # GATEWAY_BUSY, retried with back-off, still busy -> 0x06
        self.sim.control("busy on")
        try:
            t0 = time.monotonic()
            self.assertEqual(self.client.write_registers(2, regs_of(10.0), slave=99).exception_code, 6)
            self.assertGreater(time.monotonic() - t0, 1.0)  # it backed off before giving up
        finally:
            self.sim.control("busy off")
        # No answer at all -> 0x0B
        self.sim.control("silent on")
        try:
            self.assertEqual(self.client.write_registers(2, regs_of(10.0), slave=99).exception_code, 0x0B)
        finally:
            self.sim.control("silent off")
        self.assertFalse(self.client.write_registers(2, regs_of(31.0), slave=99).isError())

    def test_fc6_on_a_float_is_refused(self):
        self.assertEqual(self.client.write_register(14, 1, slave=11).exception_code, 2)

    def test_silence_takes_units_offline_and_back(self):
        self.sim.control("silent on")
        try:
            self.assertTrue(wait_until(lambda: self.client.read_input_registers(0, 2, slave=11).isError(), 10))
            self.assertEqual(self.client.read_input_registers(0, 2, slave=11).exception_code, 0x0A)
        finally:
            self.sim.control("silent off")
        self.assertTrue(wait_until(lambda: not self.client.read_input_registers(0, 2, slave=11).isError(), 10))


class XcomSerialTest(XcomCase):
    """Plain Xcom-232i: 38400 8E1, no CR LF."""

    @classmethod
    def prepare(cls):
        cls.sim_args, cls.transport = xcom_link("serial", cls.dir.name)


class XcomSerialLanTest(XcomCase):
    """Xcom-232i in Xcom-LAN mode: 115200 8N1, CR LF after every frame."""

    @classmethod
    def prepare(cls):
        cls.sim_args, cls.transport = xcom_link("serial-lan", cls.dir.name)


class XcomTcpServerTest(XcomCase):
    """The MOXA in TCP client mode dials the bridge."""

    @classmethod
    def prepare(cls):
        cls.sim_args, cls.transport = xcom_link("tcp-server", cls.dir.name)

    def test_moxa_reconnects(self):
        self.sim.control("vanish 1500")
        self.assertTrue(self.bridge.wait_for("link down", 5))
        self.assertTrue(self.bridge.wait_for("link up", 10))
        self.assertTrue(wait_until(lambda: not self.client.write_registers(6014, regs_of(12.0), slave=11).isError(), 10))
        self.assertEqual(float(self.sim.control("param 101 1107")["ram"]), 12.0)


class XcomTcpClientTest(XcomCase):
    @classmethod
    def prepare(cls):
        cls.sim_args, cls.transport = xcom_link("tcp-client", cls.dir.name)


class XcomNoMultiInfoTest(XcomCase):
    """An Xcom older than 1.6.74 answers multi-info with SERVICE_NOT_SUPPORTED: single reads."""

    @classmethod
    def prepare(cls):
        args, cls.transport = xcom_link("udp", cls.dir.name)
        cls.sim_args = (*args, "--no-multi-info")

    def test_fell_back_to_single_reads(self):
        self.assertTrue(self.bridge.wait_for("does not answer multi-info", 5))


if __name__ == "__main__":
    unittest.main()


class XcomDemandTest(unittest.TestCase):
    """Demand-driven polling: infos nobody reads are polled at the idle rate."""

    def test_infos_nobody_reads_are_polled_slowly(self):
        with tempfile.TemporaryDirectory(prefix="vxb-demand-") as tmp:
            with open(os.path.join(tmp, "m.yaml"), "w") as f:  # the first 10 Xtender infos
                with open(os.path.join(MAPS, "xtender.yaml")) as src:
                    lines = [l for l in src if "source: {info:" in l][:10]

                f.write("schema: 1\nname: m\ndriver: xcom\ninput:\n" + "".join(lines))

            args, transport = xcom_link("udp", tmp)
            sim = Simulator("xcom", *args, "--latency", "5", "--no-multi-info", "--slow-every", "0")
            bridge = Bridge(
                "modbus: {listen: 127.0.0.1:0}\n"
                f"devices:\n  s: {{driver: xcom, transport: {transport}, "
                "fast: 0.2, idle_after: 1, idle: 30}\n"
                f"units:\n  - {{unit_id: 11, device: s, address: 101, map: {os.path.join(tmp, 'm.yaml')}}}\n")
            try:
                self.assertTrue(bridge.wait_for("Xcom answering", 10))
                time.sleep(2)  # the first sweep is done; nobody has read anything
                n0 = int(sim.control("status")["requests"])
                time.sleep(2)
                idle = int(sim.control("status")["requests"]) - n0
                c = ModbusTcpClient("127.0.0.1", port=bridge.port)
                c.connect()
                n1 = int(sim.control("status")["requests"])
                for _ in range(10):  # a client reads info 3000 every 0.2 s
                    self.assertFalse(c.read_input_registers(0, 2, slave=11).isError())
                    time.sleep(0.2)
                busy = int(sim.control("status")["requests"]) - n1
                c.close()
                self.assertLessEqual(idle, 2)
                self.assertGreaterEqual(busy, 6)  # 3000 is polled fast again, the others stay idle
                self.assertLessEqual(busy, 14)
            finally:
                bridge.stop()
                sim.stop()
