"""End-to-end Studer plant (issue 16): the real bridge and the Xcom simulator's plant over UDP, read
as Studer's Xcom-485i client reads it. A sweep of every info and parameter of every shipped map
against its unit's physical range and the catalogue's options, min and max; {1107} = 4 A capping
the Xtender's AC-in current within a poll period; AC-in lost -> inverter mode and a catalogue
message on the gateway unit."""
import json
import math
import os
import struct

import yaml

from bridge_harness import SOURCE
from sim_harness import Simulator, wait_until, xcom_link
from site_fixture import SiteCase
from test_xcom485i import MAPS, f32, regs_of, site

CATALOGUE = os.path.join(SOURCE, "..", "shared", "data", "studer", "xcom_datapoints_240v.json")
UNITS = {"xtender": (11, "xt"), "variotrack": (21, "vt"), "variostring": (41, "vs"), "bsp": (61, "bsp")}
RANGES = {"V": (-600, 600), "Vdc": (-600, 600), "Vac": (0, 600), "A": (-300, 300),
          "Adc": (-300, 300), "Aac": (0, 300), "kVA": (0, 20), "kW": (-20, 20),
          "W": (-20000, 20000), "%": (0, 100), "°C": (-30, 90), "Hz": (0, 65), "kWh": (0, 1e6),
          "MWh": (0, 1e3), "Ah": (0, 1e5), "kAh": (0, 1e3), "h": (0, 1e5), "days": (0, 1e5),
          "minutes": (0, 1e6), "VA": (0, 1e5), "Ctmp": (-5, 5), "Cdyn": (-5, 5), "": (0, 1e6)}


def options():
    """Enum options per (family, info number) from the catalogue."""
    out = {}
    if not os.path.exists(CATALOGUE):
        return out
    with open(CATALOGUE) as f:
        catalogue = json.load(f)
    for d in catalogue:
        if isinstance(d, dict) and d.get("opt") and d.get("lvl") == "Info":
            out[(d["fam"], d["nr"])] = {int(k) for k in d["opt"]}
    return out


class StuderPlantTest(SiteCase):
    ready_log = "Xcom answering"
    ready_timeout = 20
    client_timeout = 10

    @classmethod
    def simulators(cls):
        cls.sim_args, cls.transport = xcom_link("udp", cls.dir.name)
        return {"sim": Simulator("xcom", *cls.sim_args, "--latency", "2")}

    @classmethod
    def site(cls):
        return site(cls.transport).replace("fast: 0.5", "fast: 0.3").replace("slow: 2", "slow: 1")

    @classmethod
    def ready(cls):
        rr = cls.client.read_input_registers(0, 2, slave=11)
        return not rr.isError() and f32(rr.registers) > 40

    def read_map(self, name):
        """Every entry of a map, read in blocks through the bridge until each answers (the
        bridge polls what clients read); returns [(entry, table, value)]."""
        unit, _ = UNITS[name]
        with open(os.path.join(MAPS, name + ".yaml")) as f:
            m = yaml.safe_load(f)
        out = []
        for table in ("input", "holding"):
            entries = sorted(m.get(table, []), key=lambda e: e["address"])
            blocks, cur = [], []
            for e in entries:
                if cur and (e["address"] + 2 - cur[0]["address"] > 120 or
                            e["address"] != cur[-1]["address"] + 2):
                    blocks.append(cur)
                    cur = []
                cur.append(e)
            if cur:
                blocks.append(cur)
            read = (self.client.read_input_registers if table == "input"
                    else self.client.read_holding_registers)
            for b in blocks:
                start, count = b[0]["address"], b[-1]["address"] + 2 - b[0]["address"]
                regs = []

                def got():  # a value not polled yet reads NaN (an f32 map's "unavailable")
                    rr = read(start, count, slave=unit)
                    if rr.isError():
                        return False
                    regs[:] = rr.registers
                    return all(math.isfinite(f32(regs[e["address"] - start:][:2])) for e in b)
                self.assertTrue(wait_until(got, 60, 0.2), f"{name} {table} {start}+{count}")
                for e in b:
                    i = e["address"] - start
                    out.append((e, table, f32(regs[i:i + 2])))
        return out

    def test_every_info_and_parameter_of_every_map(self):
        opts = options()
        checked = 0
        for name, (unit, fam) in UNITS.items():
            for e, table, v in self.read_map(name):
                src = e["source"]
                what = f"{name} {e['name']} ({e.get('description', '')}) [{e.get('unit', '')}] = {v}"
                self.assertTrue(math.isfinite(v), what)
                if "info" in src:
                    nr = src["info"]
                    if (fam, nr) in opts:
                        self.assertIn(int(v), opts[(fam, nr)], what)
                    else:
                        lo, hi = RANGES[e.get("unit", "")]
                        self.assertTrue(lo <= v <= hi, what)
                else:
                    prop = src.get("property", "value")
                    lo, hi = e.get("min"), e.get("max")
                    signal = lo is not None and lo == hi  # a signal: write 1 to trigger
                    if prop in ("value", "ram") and lo is not None and hi is not None \
                            and not signal:
                        self.assertTrue(lo - 1e-3 <= v <= hi + 1e-3, what)
                checked += 1
        self.assertGreater(checked, 3000)

    def test_input_limit_of_4_a_caps_the_ac_input(self):
        self.assertGreater(f32(self.client.read_input_registers(24, 2, slave=11).registers), 5,
                           "1.5 kW through AC-in before")
        wr = self.client.write_registers(6014, regs_of(4.0), slave=11)  # {1107} RAM = 4 A
        self.assertFalse(wr.isError(), wr)
        try:
            def capped():
                r = self.client.read_input_registers(24, 2, slave=11).registers  # 3012
                return f32(r) <= 4.0 + 1e-3
            self.assertTrue(wait_until(capped, 2, 0.1), "AC-in current within a poll period")
            self.assertEqual(f32(self.client.read_input_registers(38, 2, slave=11).registers), 1,
                             "3019 Smart-Boost active")
        finally:
            self.client.write_registers(6014, regs_of(32.0), slave=11)

    def test_ac_in_lost_inverts_and_the_gateway_shows_a_message(self):
        self.sim.control("acin off")
        try:
            def inverting():
                r = self.client.read_input_registers(56, 2, slave=11).registers  # 3028
                return f32(r) == 1
            self.assertTrue(wait_until(inverting, 5, 0.1), "3028 operating state: inverter")
            self.assertTrue(wait_until(
                lambda: f32(self.client.read_input_registers(22, 2, slave=11).registers) == 0,
                3, 0.1), "3011 input voltage 0")

            def message():
                r = self.client.read_input_registers(0, 3, slave=1).registers
                return r[0] >= 1 and r[2] == 7 and r[1] == 11
            self.assertTrue(wait_until(message, 5, 0.1),
                            f"gateway unit: {self.client.read_input_registers(0, 3, slave=1).registers}")
            self.assertTrue(self.bridge.wait_for("Xcom message 7 from 101", 5), self.bridge.drain())
        finally:
            self.sim.control("acin on")
