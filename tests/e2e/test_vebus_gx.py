"""End-to-end VE.Bus: the real bridge and the Multi simulator over a pty, read and written with
pymodbus the way Home Assistant (hass-victron) and evcc use a Victron GX."""
import os
import struct
import tempfile
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import Bridge, SOURCE
from sim_harness import Simulator, wait_until
from site_fixture import SiteCase

VEBUS_MAP = os.path.join(SOURCE, "maps", "victron-gx", "vebus.yaml")
SYSTEM_MAP = os.path.join(SOURCE, "maps", "victron-gx", "system.yaml")


def s16(v):
    return v - 65536 if v >= 32768 else v


class VebusGxTest(SiteCase):
    ready_log = "VE.Bus up"

    @classmethod
    def simulators(cls):
        cls.link = os.path.join(cls.dir.name, "mk3")
        # The simulated Multi drops an unrefreshed setpoint after 2 s; the bridge refreshes every
        # 0.5 s and falls back to 0 W after 5 s without a client write.
        return {"sim": Simulator("vebus", "--pty", cls.link, "--latency", "15", "--ess-timeout", "2")}

    @classmethod
    def site(cls):
        return ("modbus: {listen: 127.0.0.1:0, write_timeout: 3}\n"
                f"devices:\n  multi:\n    driver: vebus\n    port: {cls.link}\n"
                "    timeout: 0.4\n    silence: 2\n    offline_after: 3\n"
                "    ess: {refresh: 0.5, setpoint_timeout: 5, max_charge_w: 3000, max_feed_w: 2500}\n"
                f"units:\n  - {{unit_id: 227, device: multi, map: {VEBUS_MAP}}}\n"
                f"  - {{unit_id: 100, device: multi, map: {SYSTEM_MAP}}}\n")

    @classmethod
    def ready(cls):  # values arrive with the first poll cycles
        rr = cls.client.read_holding_registers(26, 1, slave=227)
        return not rr.isError() and rr.registers[0] > 0

    def hr(self, addr, count, unit=227):
        rr = self.client.read_holding_registers(addr, count, slave=unit)
        self.assertFalse(rr.isError(), rr)
        return rr.registers

    def test_home_assistant_block_read_3_to_109(self):
        r = self.hr(3, 107)  # hass-victron's vebus_registers group: one FC3 of 107 registers
        self.assertEqual(len(r), 107)
        reg = lambda a: r[a - 3]
        self.assertAlmostEqual(reg(3) / 10, 230.1, delta=0.2)   # AC-in V
        self.assertAlmostEqual(reg(9) / 100, 50.1, delta=0.05)  # AC-in Hz
        self.assertAlmostEqual(reg(15) / 10, 230.0, delta=0.2)  # AC-out V
        self.assertAlmostEqual(reg(21) / 100, 50.03, delta=0.05)
        self.assertEqual(reg(22), 160)                          # input current limit 16.0 A
        self.assertGreater(reg(26), 4800)                       # battery V x100
        self.assertEqual(reg(28), 1)                            # phases
        self.assertEqual(reg(29), 0)                            # AC input 1
        self.assertIn(reg(31), (3, 8))                          # bulk (ESS) or passthru
        self.assertEqual(reg(33), 3)                            # mode on
        self.assertEqual(reg(4), 0)                             # L2: not provided, reads 0
        self.assertEqual(reg(57), 0)                            # no VE.Bus BMS

    def test_unit_0_is_the_system_unit_as_on_a_gx(self):
        # A GX answers unit 0 as its system service (100); clients that cannot set 100 use 0.
        r0 = self.client.read_input_registers(840, 4, slave=0)
        self.assertFalse(r0.isError(), r0)
        r100 = self.client.read_input_registers(840, 4, slave=100)
        self.assertAlmostEqual(r0.registers[0], r100.registers[0], delta=3)  # battery V x10
        self.assertEqual(r0.registers[3], r100.registers[3])                  # SoC

    def test_date_and_time_830_is_utc_seconds(self):
        r = self.hr(830, 4, unit=100)  # uint64, high word first, as a GX serves /DateAndTime
        seconds = (r[0] << 48) | (r[1] << 32) | (r[2] << 16) | r[3]
        self.assertAlmostEqual(seconds, time.time(), delta=5)
        self.assertTrue(wait_until(lambda: self.hr(833, 1, unit=100)[0] != r[3], 5))  # it ticks

    def test_evcc_reads_808_to_850_with_fc4_on_unit_100(self):
        rr = self.client.read_input_registers(808, 43, slave=100)
        self.assertFalse(rr.isError(), rr)
        r = rr.registers
        reg = lambda a: r[a - 808]
        self.assertEqual(reg(827), 0xFFFF)                      # reserved
        self.assertGreater(reg(840), 480)                       # battery V x10
        self.assertTrue(0 < reg(843) <= 100)                    # SoC %
        self.assertEqual(reg(826), 1)                           # grid

    def test_unknown_unit_is_answered_at_once(self):
        t0 = time.monotonic()
        rr = self.client.read_holding_registers(3, 107, slave=5)  # HA's discovery sweep
        self.assertEqual(rr.exception_code, 0x0B)
        self.assertLess(time.monotonic() - t0, 0.1)

    def test_ess_setpoint_fc6_negative_reaches_the_multi_refreshes_and_falls_back(self):
        # FC6 to 37 with -400 (feed-in 400 W); the Multi's RAM value is the opposite sign.
        self.assertFalse(self.client.write_register(37, (-400) & 0xFFFF, slave=227).isError())
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "400")
        self.assertEqual(s16(self.hr(37, 1)[0]), -400)
        writes = int(self.sim.control("status")["writes"])
        t0 = time.monotonic()
        # Five refreshes (0.5 s apart) outlast the Multi's 2 s ESS timeout: only they keep it.
        self.assertTrue(wait_until(lambda: int(self.sim.control("status")["writes"]) - writes >= 5, 5))
        self.assertGreater(time.monotonic() - t0, 2.0)
        st = self.sim.control("status")
        self.assertEqual(st["setpoint_ram"], "400")
        self.assertLess(float(st["battery_w"]), -400)            # discharging to feed in
        # No client write for 5 s: the bridge falls back to 0 W and says so.
        self.assertTrue(wait_until(lambda: self.sim.control("status")["setpoint_ram"] == "0", 4))
        self.assertTrue(self.bridge.wait_for("falling back to 0 W", 2))
        self.assertTrue(wait_until(lambda: self.hr(37, 1)[0] == 0, 2))


    def test_ess_setpoint_home_assistant_style_and_limits(self):
        # hass-victron writes negatives as 65535 + v: -100 W arrives as -101 W.
        self.assertFalse(self.client.write_register(37, 65535 - 100, slave=227).isError())
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "101")
        self.assertFalse(self.client.write_register(37, 300, slave=227).isError())  # charge 300 W
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "-300")
        self.assertEqual(self.client.write_register(37, 3001, slave=227).exception_code, 3)
        self.assertEqual(self.client.write_register(37, (-2501) & 0xFFFF, slave=227).exception_code, 3)
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "-300")

    def test_ess_setpoint_fc16_int32_at_96(self):
        hi, lo = struct.unpack(">HH", struct.pack(">i", -800))
        self.assertFalse(self.client.write_registers(96, [hi, lo], slave=227).isError())
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "800")
        self.assertEqual(s16(self.hr(37, 1)[0]), -800)
        self.assertEqual(self.hr(96, 2), [hi, lo])

    def test_disable_feed_in_blocks_negative_setpoints(self):
        self.assertFalse(self.client.write_register(39, 1, slave=227).isError())
        self.assertFalse(self.client.write_register(37, (-500) & 0xFFFF, slave=227).isError())
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "0")
        self.assertFalse(self.client.write_register(39, 0, slave=227).isError())
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "500")

    def test_mode_and_input_current_limit_through_s(self):
        self.assertFalse(self.client.write_register(22, 123, slave=227).isError())  # 12.3 A
        self.assertEqual(self.sim.control("status")["limit"], "123")
        self.assertEqual(self.client.write_register(33, 7, slave=227).exception_code, 3)  # not in enum
        self.assertFalse(self.client.write_register(33, 1, slave=227).isError())  # charger only
        self.assertEqual(self.sim.control("status")["switch"], "1")
        self.assertFalse(self.client.write_register(33, 3, slave=227).isError())
        self.assertEqual(self.hr(33, 1)[0], 3)

    def test_state_is_read_only(self):
        self.assertEqual(self.client.write_register(31, 1, slave=227).exception_code, 2)

    def test_z_faults_recover_without_restart(self):
        # Silence: after offline_after the units answer 0x0A; then values come back.
        self.sim.control("silent on")
        self.assertTrue(wait_until(
            lambda: self.client.read_holding_registers(26, 1, slave=227).isError(), 8))
        self.assertEqual(self.client.read_holding_registers(26, 1, slave=227).exception_code, 0x0A)
        self.sim.control("silent off")
        self.assertTrue(wait_until(
            lambda: not self.client.read_holding_registers(26, 1, slave=227).isError(), 10))
        # The port vanishes and comes back: the bridge reopens it.
        self.sim.control("vanish 1500")
        self.assertTrue(self.bridge.wait_for("re-initialising VE.Bus", 5))
        self.assertTrue(wait_until(
            lambda: not self.client.read_holding_registers(26, 1, slave=227).isError()
            and self.hr(26, 1)[0] > 0, 12))
        # Corrupted and dropped replies: polling goes on.
        # The fault lasts until the bridge has really met it: three more checksum errors counted
        # on the status unit (device 1 = multi, u32 at 115).
        def checksum_errors():
            r = self.client.read_input_registers(115, 2, slave=247).registers
            return (r[0] << 16) | r[1]
        before = checksum_errors()
        self.sim.control("corrupt 0.3")
        self.assertTrue(wait_until(lambda: checksum_errors() >= before + 3, 15))
        self.sim.control("corrupt 0")
        # The bridge may be re-initialising after the corrupted replies: a write succeeds again
        # once it is through (a condition with a deadline, not an assumption about timing).
        self.assertTrue(wait_until(
            lambda: not self.client.write_register(37, 100, slave=227).isError(), 15))
        self.assertEqual(self.sim.control("status")["setpoint_ram"], "-100")


class VebusAgeingTest(unittest.TestCase):
    """A Multi that goes quiet for less than offline_after: its units stay online, and its
    measurements age out through the map's max_age (10 s on the GX map: then they read 0, as a
    GX reads a value that is gone) instead of being served as fresh."""

    def test_silent_values_age_out_before_the_unit_goes_offline(self):
        with tempfile.TemporaryDirectory(prefix="vxb-vebus-age-") as tmp:
            link = os.path.join(tmp, "mk3")
            sim = Simulator("vebus", "--pty", link, "--latency", "15")
            bridge = Bridge(
                "modbus: {listen: 127.0.0.1:0}\n"
                f"devices:\n  multi: {{driver: vebus, port: {link}, silence: 2, offline_after: 60}}\n"
                f"units:\n  - {{unit_id: 227, device: multi, map: {VEBUS_MAP}}}\n")
            client = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
            try:
                self.assertTrue(bridge.wait_for("VE.Bus up", 15))
                self.assertTrue(client.connect())

                def volts():
                    rr = client.read_holding_registers(26, 1, slave=227)
                    self.assertFalse(rr.isError(), rr)  # online all along: no 0x0A
                    return rr.registers[0] / 100

                self.assertTrue(wait_until(lambda: volts() > 40, 10))
                sim.control("silent on")
                t0 = time.monotonic()
                self.assertTrue(wait_until(lambda: volts() == 0, 20))
                self.assertGreater(time.monotonic() - t0, 8)  # max_age, not at once
                sim.control("silent off")
                self.assertTrue(wait_until(lambda: volts() > 40, 20))
            finally:
                client.close()
                self.assertEqual(bridge.stop(), 0)
                sim.stop()


if __name__ == "__main__":
    unittest.main()
