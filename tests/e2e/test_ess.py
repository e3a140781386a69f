"""End-to-end ESS like a GX: the real bridge regulating the simulated site (a Multi on a pty with
its AC-out load, PV and battery), driven through the GX system unit's settings registers the way
evcc, openWB, Home Assistant (hass-victron) and OpenEMS do. Asserts what the plant does: the grid
power the Multi's AC input shows (no grid meter: 2718 = 1), the battery, the SoC guard."""
import json
import os
import re
import struct
import unittest

from bridge_harness import Bridge, SOURCE
from sim_harness import Simulator, wait_until
from site_fixture import SiteCase

VEBUS_MAP = os.path.join(SOURCE, "maps", "victron-gx", "vebus.yaml")
SYSTEM_MAP = os.path.join(SOURCE, "maps", "victron-gx", "system.yaml")
GATEWAY_PATH_UNAVAILABLE = 0x0A
SETTLE = 25  # s: ramp (400 W/s) + poll cycles, on a loaded CI machine


def s16(v):
    return v - 65536 if v >= 32768 else v


def s32(hi, lo):
    v = (hi << 16) | lo
    return v - (1 << 32) if v >= (1 << 31) else v


def u32_words(v):
    return list(struct.unpack(">HH", struct.pack(">i", v)))


def ess_site(link, state_dir, mode="optimized", extra=""):
    return ("modbus: {listen: 127.0.0.1:0, write_timeout: 3}\n"
            f"state: {{dir: {state_dir}}}\n"
            f"devices:\n  multi:\n    driver: vebus\n    port: {link}\n"
            "    timeout: 0.4\n    silence: 2\n    offline_after: 3\n"
            f"    ess: {{mode: {mode}, refresh: 0.5, max_charge_w: 3000, max_feed_w: 3000{extra}}}\n"
            f"units:\n  - {{unit_id: 227, device: multi, map: {VEBUS_MAP}}}\n"
            f"  - {{unit_id: 100, device: multi, map: {SYSTEM_MAP}}}\n")


class EssCase(SiteCase):
    abstract_case = True
    ready_log = "VE.Bus up"
    mode = "optimized"
    # Long enough for a ramp through the transient of two FC6 halves (up to 6 kW at 400 W/s)
    # on a loaded machine; the expiry test waits for it.
    ess_extra = ", override_timeout: 20"

    @classmethod
    def simulators(cls):
        cls.link = os.path.join(cls.dir.name, "mk3")
        return {"sim": Simulator("vebus", "--pty", cls.link, "--ess-timeout", "5")}

    @classmethod
    def site(cls):
        return ess_site(cls.link, os.path.join(cls.dir.name, "state"), cls.mode, cls.ess_extra)

    @classmethod
    def ready(cls):
        rr = cls.client.read_input_registers(843, 1, slave=100)
        return not rr.isError() and rr.registers[0] > 0

    def setUp(self):
        # Every test starts from the same site and settings (tests may run in any order).
        self.sim.control("load 1500")
        self.sim.control("pv 0")
        self.sim.control("soc 60")
        for addr, value in ((2700, 50), (2701, 100), (2702, 100), (2704, 0xFFFF), (2705, 0xFFFF),
                            (2706, 0xFFFF), (2900, 10), (2901, 100), (2902, 1 if self.mode == "optimized" else 3)):
            self.write(addr, value)
        if self.mode == "optimized":
            self.client.write_registers(2716, [0, 50], slave=100)  # ends any test's override
            self.settles(50)  # from the same steady plant, whatever the test before left

    def hr(self, addr, count, unit=100):
        rr = self.client.read_holding_registers(addr, count, slave=unit)
        self.assertFalse(rr.isError(), f"FC3 {addr}/{count}: {rr}")
        return rr.registers

    def write(self, addr, value, unit=100):
        rr = self.client.write_register(addr, value, slave=unit)
        self.assertFalse(rr.isError(), f"FC6 {addr} = {value}: {rr}")

    def grid(self):
        """The grid power the plant shows (no meter: the Multi's AC input, system 820)."""
        return s16(self.client.read_input_registers(820, 1, slave=100).registers[0])

    def sim_state(self):
        return {k: float(v) for k, v in self.sim.control("status").items()
                if re.fullmatch(r"-?[\d.e+-]+", v)}

    def settles(self, target, tolerance=25, timeout=SETTLE):
        seen = []

        def near():
            g = self.grid()
            seen.append((g, s32(*self.hr(306, 2, unit=247))))
            return abs(g - target) <= tolerance
        ok = wait_until(near, timeout, 0.25)
        self.assertTrue(ok, f"grid {self.grid()} W, target {target} W; (grid, command) seen {seen[::4]}; sim {self.sim_state()}; "
                            f"status 300-310 {self.hr(300, 11, unit=247)}; 37-39 {self.hr(37, 3, unit=227)}\n"
                            + "\n".join(self.bridge.drain().splitlines()[-25:]))


class OptimizedModeTest(EssCase):
    def test_evcc_min_soc_and_its_reads(self):
        # evcc's only Victron write: FC6 2901 = SoC x 10 (hold the battery at this SoC or above).
        self.write(2901, 700)  # 70 % > the battery's 60 %: no discharge
        self.assertEqual(self.hr(2901, 1)[0], 700)
        # At 60 % with a minimum of 70 % the load comes from the grid, the battery is not drained.
        self.assertTrue(wait_until(lambda: self.grid() >= 1450, SETTLE, 0.25), self.sim_state())
        self.assertTrue(wait_until(lambda: self.sim_state()["battery_w"] >= -10, 10, 0.25),
                        self.sim_state())
        # evcc's reads: FC4 820-822 (grid L1-L3), 842 (battery W), 843 (SoC).
        rr = self.client.read_input_registers(820, 3, slave=100)
        self.assertFalse(rr.isError(), rr)
        rr = self.client.read_input_registers(842, 2, slave=100)
        self.assertFalse(rr.isError(), rr)
        self.assertEqual(rr.registers[1], 60)
        # "normal": back to 10 %; the battery covers the load again and the grid goes to 2700.
        self.write(2901, 100)
        self.settles(50)

    def test_grid_follows_the_setpoint_while_load_and_pv_move(self):
        self.settles(50)
        self.sim.control("load 3000")
        self.settles(50)
        self.sim.control("pv 3500")  # surplus: the battery charges, the grid stays at 50 W
        self.settles(50)
        self.assertTrue(wait_until(lambda: self.sim_state()["battery_w"] > 300, SETTLE, 0.25),
                        self.sim_state())

    def test_openwb_mode_discharge_block_and_int32_override(self):
        self.write(2902, 1)  # openWB: ESS optimized
        # FC16 2716 int32 (high word first): -800 W export.
        rr = self.client.write_registers(2716, u32_words(-800), slave=100)
        self.assertFalse(rr.isError(), rr)
        self.assertEqual(s32(*self.hr(2716, 2)), -800)
        self.settles(-800)
        # FC6 2702 = 0: no discharge - the battery may not feed, the load comes from the grid.
        self.write(2702, 0)
        self.assertTrue(wait_until(lambda: self.grid() >= 1450, SETTLE, 0.25), self.sim_state())
        self.write(2702, 100)
        # openWB's DESS check: 5400 reads 0 (off).
        rr = self.client.read_holding_registers(5400, 1, slave=100)
        self.assertFalse(rr.isError(), rr)
        self.assertEqual(rr.registers, [0])

    def test_override_expires_back_to_2700(self):
        self.write(2700, 100)
        rr = self.client.write_registers(2716, u32_words(-300), slave=100)
        self.assertFalse(rr.isError(), rr)
        self.settles(-300)
        # override_timeout is 20 s here: then 2700 again, and 2716 reads 0.
        self.settles(100, timeout=SETTLE + 20)
        self.assertEqual(self.hr(2716, 2), [0, 0])

    def test_max_feed_in_holds(self):
        self.write(2706, 5)  # 500 W (x0.01)
        rr = self.client.write_registers(2716, u32_words(-2500), slave=100)
        self.assertFalse(rr.isError(), rr)
        self.settles(-500)
        limited = self.hr(308, 1, unit=247)[0]
        self.assertEqual(limited, 5, "status unit 308: max feed-in")

    def test_no_discharge_at_minimum_soc_and_keep_charged_charges(self):
        self.sim.control("soc 9")
        self.write(2901, 100)  # 10 %
        self.assertTrue(wait_until(lambda: self.grid() >= 1450, SETTLE, 0.25), self.sim_state())
        self.assertTrue(wait_until(lambda: self.sim_state()["battery_w"] >= -10, 10, 0.25),
                        self.sim_state())
        self.sim.control("soc 60")
        self.write(2900, 9)  # keep batteries charged
        self.assertEqual(self.hr(2900, 1)[0], 9)
        self.assertTrue(wait_until(lambda: self.sim_state()["battery_w"] > 1000, SETTLE, 0.25),
                        self.sim_state())

    def test_home_assistant_blocks_and_encodings(self):
        # hass-victron reads these groups with one FC3 each; every one answers in one piece.
        for addr, count in ((2700, 13), (2715, 3), (2718, 1), (2900, 4), (5400, 8), (5420, 10)):
            self.assertEqual(len(self.hr(addr, count)), count, addr)
        # Its negative encoding (65535 + v) on an int16: -1 is "no limit" on 2704.
        self.write(2704, 0xFFFF)
        self.assertEqual(s16(self.hr(2704, 1)[0]), -1)
        # FC6 to each half of an int32 merges with the other half, as on a GX.
        hi, lo = u32_words(-400)
        self.write(2717, lo)
        self.write(2716, hi)
        self.assertEqual(s32(*self.hr(2716, 2)), -400)
        self.settles(-400)

    def test_out_of_range_is_refused_with_the_gx_answer_and_nothing_changes(self):
        self.write(2901, 200)
        rr = self.client.write_register(2901, 1001, slave=100)  # 100.1 %
        self.assertTrue(rr.isError())
        self.assertEqual(rr.exception_code, GATEWAY_PATH_UNAVAILABLE)
        rr = self.client.write_register(2902, 0, slave=100)  # hass-victron's Multi-RS enum
        self.assertEqual(rr.exception_code, GATEWAY_PATH_UNAVAILABLE)
        self.assertEqual(self.hr(2901, 1)[0], 200)
        self.assertEqual(self.hr(2902, 1)[0], 1)
        rr = self.client.write_register(2903, 100, slave=100)  # read-only, as on a GX
        self.assertEqual(rr.exception_code, 0x02)

    def test_writes_to_37_are_overwritten_while_regulating_and_said_once(self):
        self.settles(50)
        rr = self.client.write_register(37, (-1000) & 0xFFFF, slave=227)
        self.assertFalse(rr.isError(), rr)  # accepted, as on a GX
        self.assertTrue(self.bridge.wait_for(r"client wrote the ESS setpoint .* overwritten", 5),
                        self.bridge.output)
        self.settles(50)  # the loop's next steps put the grid back on 2700

    def test_status_unit_shows_the_loop(self):
        self.settles(50)
        r = self.hr(300, 11, unit=247)
        self.assertEqual(r[0], 1, "regulating")
        self.assertEqual(r[1], 1, "mode optimized")
        self.assertEqual(s32(r[2], r[3]), 50, "target")

    def test_zz_lost_link_goes_to_passthru_and_resumes(self):
        self.settles(50)
        self.sim.control("silent on")
        self.assertTrue(self.bridge.wait_for("passthru", 15), self.bridge.output)
        self.sim.control("silent off")
        self.assertTrue(self.bridge.wait_for(r"ess: regulating", 20), self.bridge.output)
        self.settles(50)


class OpenEmsExternalTest(EssCase):
    """OpenEMS: 2902 = 3 and FC16 37-41 (L1 setpoint, disable charge, disable feed-in, L2, L3)
    every cycle; the bridge's loop stays out of the way."""
    mode = "external"

    def test_fc16_37_to_41_every_cycle(self):
        self.assertEqual(self.hr(2902, 1)[0], 3)
        for _ in range(3):
            rr = self.client.write_registers(37, [(-600) & 0xFFFF, 0, 0, 0, 0], slave=227)
            self.assertFalse(rr.isError(), rr)
        # AC-in setpoint -600 W (feed-in): the Multi reaches 96 % of it.
        self.assertTrue(wait_until(lambda: abs(self.grid() + 576) <= 30, SETTLE, 0.25),
                        self.sim_state())
        self.assertEqual(self.hr(300, 1, unit=247)[0], 0, "status: external control")


class RestartKeepsSettingsTest(unittest.TestCase):
    def test_settings_survive_a_restart_and_a_damaged_file_is_a_warning(self):
        import tempfile
        with tempfile.TemporaryDirectory(prefix="vxb-ess-") as tmp:
            link = os.path.join(tmp, "mk3")
            sim = Simulator("vebus", "--pty", link)
            try:
                state = os.path.join(tmp, "state")
                bridge = Bridge(ess_site(link, state))
                self.assertTrue(bridge.wait_for("VE.Bus up", 15), bridge.output)
                from pymodbus.client import ModbusTcpClient
                c = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
                self.assertTrue(c.connect())
                self.assertFalse(c.write_register(2901, 350, slave=100).isError())
                self.assertFalse(c.write_register(2700, (-20) & 0xFFFF, slave=100).isError())
                self.assertFalse(c.write_registers(2716, u32_words(-900), slave=100).isError())
                saved = os.path.join(state, "multi.ess.json")
                # On disk within 2 s of the change (the state file is checked every second).
                def saved_min_soc():
                    try:
                        with open(saved) as f:
                            return json.load(f).get("minimum_soc") == 35
                    except (OSError, ValueError):
                        return False
                self.assertTrue(wait_until(saved_min_soc, 3, 0.05))
                c.close()
                self.assertEqual(bridge.stop(), 0)
                bridge = Bridge(ess_site(link, state))
                self.assertTrue(bridge.wait_for("VE.Bus up", 15), bridge.output)
                c = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
                self.assertTrue(c.connect())
                self.assertEqual(c.read_holding_registers(2901, 1, slave=100).registers, [350])
                self.assertEqual(s16(c.read_holding_registers(2700, 1, slave=100).registers[0]), -20)
                self.assertEqual(c.read_holding_registers(2716, 2, slave=100).registers, [0, 0],
                                 "2716 is volatile")
                c.close()
                self.assertEqual(bridge.stop(), 0)
                with open(saved, "w") as f:
                    f.write('{"minimum_soc": 35, "ac_power')  # a power cut mid-write elsewhere
                bridge = Bridge(ess_site(link, state))
                # Logged at start-up, before the bridge listens: in its whole log.
                self.assertRegex(bridge.log, r"warn.*ignoring the state file .*multi\.ess\.json")
                self.assertTrue(bridge.wait_for("VE.Bus up", 15), bridge.output)
                c = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
                self.assertTrue(c.connect())
                self.assertEqual(c.read_holding_registers(2901, 1, slave=100).registers, [100],
                                 "defaults apply")
                c.close()
                self.assertEqual(bridge.stop(), 0)
            finally:
                sim.stop()


if __name__ == "__main__":
    unittest.main()
