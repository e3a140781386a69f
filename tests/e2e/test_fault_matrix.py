"""The fault matrix (issue 6): every link kind x every fault, end to end.

One row per link kind, each with its own bridge, simulator and companion link (the other device
family), the five rows in parallel. In every cell the fault is switched on in the simulator for
a while and off again, and the test asserts what a SCADA engineer relies on:

- every other unit (the companion link, a static unit) keeps serving, quickly;
- the faulty unit reads either a plausible value or "unavailable" as its map says (0 on the GX
  map, NaN on the Xcom-485i map, or 0x0A once the device is offline) - never garbage;
- after the fault ends the unit serves again and accepts a write within 2 x the retry back-off
  (0.5 s doubling to 8 s) reached during the fault (the time is measured from the end of the
  fault to the first successful write, so it includes the MK3's re-initialisation);

- every write issued during the fault is answered, either with success - and the device really
  holds it - or with an exception; no write is applied twice (the Xcom simulator logs every
  applied value); on VE.Bus a write answered with an exception never takes effect later
  through the ESS refresh (the Multi ends on the last successful setpoint).

It prints the matrix as a table. Label `faults` (about two minutes).
"""
import math
import os
import struct
import sys
import tempfile
import threading
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import Bridge, EXAMPLE_MAP, SOURCE
from sim_harness import Simulator, xcom_link

MAPS = os.path.join(SOURCE, "maps")
LINKS = ("MK3 pty", "Xcom serial", "Xcom UDP", "Xcom TCP server", "Xcom TCP client")
FAULTS = (  # name, seconds, control line on, control line off
    ("bytes dropped", 6, "drop 0.5", "drop 0"),
    ("checksum", 6, "corrupt 0.5", "corrupt 0"),
    ("late reply", 6, "delay {late}", "delay 0"),
    ("silent 30 s", 30, "silent on", "silent off"),
    ("port vanishes", 3, "vanish 3000", None),
    ("MOXA reconnect", 0.2, "vanish 200", None),
    ("busy storm", 6, "busy on", "busy off"),
)
VEBUS_UNIT, XCOM_UNIT, STATIC_UNIT = 227, 11, 1
XCOM_PARAM, XCOM_PARAM_REG = 1107, 6014  # max AC input current, RAM value (+6000)
ESS_REG = 37
OFFLINE_AFTER = 3  # s without an answer -> the units answer 0x0A (both drivers)


XCOM_KINDS = {"Xcom serial": "serial", "Xcom UDP": "udp", "Xcom TCP server": "tcp-server",
              "Xcom TCP client": "tcp-client"}


def link_device(kind, tmp, name):
    """A simulator for a link of `kind` (one of LINKS) and the bridge's device and unit for it:
    (simulator, device YAML, unit YAML, unit id)."""
    if kind == "MK3 pty":
        link = os.path.join(tmp, name)
        sim = Simulator("vebus", "--pty", link, "--latency", "10")
        device = (f"  {name}:\n    driver: vebus\n    port: {link}\n"
                  f"    offline_after: {OFFLINE_AFTER}\n    silence: 2\n")
        unit = f"  - {{unit_id: {VEBUS_UNIT}, device: {name}, map: {MAPS}/victron-gx/vebus.yaml}}\n"
        return sim, device, unit, VEBUS_UNIT
    args, transport = xcom_link(XCOM_KINDS[kind], tmp)
    # No datalogger slow window: it would be a second fault at a random moment.
    sim = Simulator("xcom", *args, "--latency", "10", "--slow-every", "0")
    device = (f"  {name}:\n    driver: xcom\n    transport: {transport}\n    timeout: 0.4\n"
              f"    retries: 1\n    fast: 0.5\n    slow: 2\n    offline_after: {OFFLINE_AFTER}\n")
    unit = (f"  - {{unit_id: {XCOM_UNIT}, device: {name}, address: 101, "
            f"map: {MAPS}/studer-xcom485i/xtender.yaml}}\n")
    return sim, device, unit, XCOM_UNIT


def backoff_after(seconds):
    """The reconnect back-off step reached after `seconds` of failures: 0.5 s doubling to 8 s."""
    step, spent = 0.5, 0.0
    while spent + step < seconds:
        spent += step
        step = min(step * 2, 8.0)
    return step


def f32(regs):
    return struct.unpack(">f", struct.pack(">HH", *regs))[0]


def f32_regs(value):
    return list(struct.unpack(">HH", struct.pack(">f", value)))


class Probe:
    """Reads a unit's battery voltage and classifies the answer as a user would see it."""

    def __init__(self, port, unit):
        self.unit = unit
        self.client = ModbusTcpClient("127.0.0.1", port=port, timeout=5)
        assert self.client.connect()

    def read(self):
        """('value', v) | ('unavailable', how) | ('bad', why); and the time it took."""
        t0 = time.monotonic()
        try:
            if self.unit == VEBUS_UNIT:
                rr = self.client.read_holding_registers(26, 1, slave=self.unit)
            elif self.unit == STATIC_UNIT:
                rr = self.client.read_holding_registers(10, 1, slave=self.unit)
            else:
                rr = self.client.read_input_registers(0, 2, slave=self.unit)
        except Exception as e:  # no answer at all: the worst outcome
            return ("bad", f"no answer ({e})"), time.monotonic() - t0
        took = time.monotonic() - t0
        if rr.isError():
            code = getattr(rr, "exception_code", None)
            if code == 0x0A:
                return ("unavailable", "0x0A"), took
            return ("bad", f"exception {code}"), took
        if self.unit == STATIC_UNIT:
            v = rr.registers[0] / 10
            return (("value", v) if v == 230.4 else ("bad", f"static reads {v}")), took
        if self.unit == VEBUS_UNIT:
            if rr.registers[0] == 0:
                return ("unavailable", "0"), took
            v = rr.registers[0] / 100
        else:
            v = f32(rr.registers)
            if math.isnan(v):
                return ("unavailable", "NaN"), took
        return (("value", v) if 40 <= v <= 65 else ("bad", f"implausible {v}")), took

    def close(self):
        self.client.close()


class Row:
    """One link kind: its simulator, a companion link of the other family, a bridge."""

    def __init__(self, kind, tmp):
        self.kind, self.tmp = kind, tmp
        self.cells = {}
        self.logs = []
        self.value_seq = 0

    # --- set-up -------------------------------------------------------------------------------
    def start(self):
        self.sim, dut, dut_unit, self.unit = link_device(self.kind, self.tmp, "dut")
        companion = "Xcom UDP" if self.kind == "MK3 pty" else "MK3 pty"  # the other family
        self.companion_sim, comp, comp_unit, self.companion_unit = link_device(companion, self.tmp, "comp")
        self.late_ms = 1200 if self.unit == VEBUS_UNIT else 1000  # past 0.5 s / 0.4 s
        self.bridge = Bridge(
            "modbus: {listen: 127.0.0.1:0, write_timeout: 10}\n"
            f"devices:\n{dut}{comp}  mem: {{driver: static}}\n"
            f"units:\n{dut_unit}{comp_unit}  - {{unit_id: {STATIC_UNIT}, device: mem, map: {EXAMPLE_MAP}}}\n")
        self.probe = Probe(self.bridge.port, self.unit)
        self.others = [Probe(self.bridge.port, self.companion_unit), Probe(self.bridge.port, STATIC_UNIT)]
        self.writer = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=15)
        assert self.writer.connect()

    def stop(self):
        for p in [self.probe, *self.others]:
            p.close()
        self.writer.close()
        code = self.bridge.stop()
        self.sim.stop()
        self.companion_sim.stop()
        return code

    # --- writes -------------------------------------------------------------------------------
    def next_value(self):
        """A value no other write of this row uses (so the device's log tells writes apart)."""
        self.value_seq += 1
        if self.unit == VEBUS_UNIT:
            return -self.value_seq  # W, feeding in (within ess.max_feed_w)
        # A, within 1107's 2..50 for 384 writes a row (about twice what a row issues); steps of
        # 1/8 are exact in float32 and in the simulator's 6-digit log.
        return 2.0 + 0.125 * self.value_seq


    def write(self, value):
        """True (success), an exception code, or 'lost' when no answer came at all."""
        try:
            if self.unit == VEBUS_UNIT:
                rr = self.writer.write_register(ESS_REG, value & 0xFFFF, slave=self.unit)
            else:
                rr = self.writer.write_registers(XCOM_PARAM_REG, f32_regs(value), slave=self.unit)
        except Exception:
            return "lost"
        if rr.isError():
            return getattr(rr, "exception_code", "lost")
        return True

    def device_log(self):
        """What the device applied: Xcom - every value written to 1107; VE.Bus - setpoint changes
        (Multi sign, so negated back to the GX sign) and the current setpoint."""
        if self.unit == VEBUS_UNIT:
            st = self.sim.control("status")
            hist = [-int(x) for x in st["history"].split(",") if x]
            return hist, -int(st["setpoint_ram"])
        st = self.sim.control(f"param 101 {XCOM_PARAM}")
        return [float(x) for x in st["applied"].split(",") if x], float(st["ram"])

    # --- one cell -----------------------------------------------------------------------------
    def healthy(self, timeout):
        """The unit and every other unit read values, and a write succeeds."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            reads = [p.read()[0][0] for p in (self.probe, *self.others)]
            if reads == ["value"] * len(reads) and self.write(self.next_value()) is True:
                return True
            time.sleep(0.2)
        return False

    def holds(self, watts, timeout):
        """VE.Bus: waits until the Multi holds `watts` (the ESS refresh re-sends the setpoint)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.device_log()[1] == watts:
                return True
            time.sleep(0.1)
        return False

    def run_cell(self, name, seconds, on, off):
        problems, seen = [], set()
        if not self.healthy(30):
            return {"text": "NOT READY", "problems": ["the unit never served before the fault"]}
        _, baseline = self.device_log()
        log_from = len(self.bridge.drain(0.01))
        writes, stop_writing = [], threading.Event()

        def writer():
            while not stop_writing.is_set():
                v = self.next_value()
                writes.append((v, self.write(v)))
                stop_writing.wait(0.3)

        self.sim.control(on.format(late=self.late_ms))
        t_fault = time.monotonic()
        w = threading.Thread(target=writer)
        w.start()
        worst_other = 0.0
        while time.monotonic() - t_fault < seconds:
            (what, detail), _ = self.probe.read()
            seen.add(what if what != "unavailable" else f"unavailable ({detail})")
            if what == "bad":
                problems.append(f"faulty unit read {detail}")
            for other in self.others:
                (o_what, o_detail), took = other.read()
                worst_other = max(worst_other, took)
                if o_what != "value":
                    problems.append(f"unit {other.unit} read {o_what} {o_detail} during the fault")
            time.sleep(0.2)
        if off:
            self.sim.control(off)
        t_end = t_fault + seconds
        stop_writing.set()
        w.join(30)
        if w.is_alive():
            problems.append("a write never returned")
        # A device silent for much longer than offline_after must show as unavailable, not
        # go on being served from the last values it gave.
        if on == "silent on" and not any(s.startswith("unavailable") for s in seen):
            problems.append(f"silent {seconds} s, yet the unit never read unavailable")
        if worst_other > 1.0:
            problems.append(f"another unit took {worst_other:.2f} s to answer")

        # Recovery: the unit reads a value and a new write succeeds.
        budget = 2 * backoff_after(seconds)
        recovered = None
        checking = 0.0  # time spent checking the Multi's setpoint: not the bridge's recovery
        deadline = time.monotonic() + budget + 20
        while time.monotonic() < deadline:
            (what, detail), _ = self.probe.read()
            if what == "bad":
                problems.append(f"faulty unit read {detail} after the fault")
            if what == "value":
                # Before any new write: the Multi ends on what the last successful write set,
                # whatever a failed write may have left there meanwhile.
                if self.unit == VEBUS_UNIT and recovered is None:
                    last_ok = next((v for v, r in reversed(writes) if r is True), baseline)
                    t_check = time.monotonic()
                    if not self.holds(last_ok, 5):  # the ESS refresh is every second
                        problems.append(f"Multi holds {self.device_log()[1]} W after the fault, "
                                        f"the last successful write was {last_ok} W")
                    checking = time.monotonic() - t_check
                    recovered = False
                v = self.next_value()
                r = self.write(v)
                writes.append((v, r))
                if r is True:
                    recovered = time.monotonic() - t_end - checking
                    break

            time.sleep(0.1)
        if not recovered:
            problems.append("did not recover")
        elif recovered > budget:
            problems.append(f"recovered in {recovered:.1f} s, budget {budget:.1f} s")

        applied, held = self.device_log()
        for v, r in writes:
            if r == "lost":
                problems.append(f"write {v} got no answer")
            elif r is True and v not in applied:
                problems.append(f"write {v} answered success, the device never applied it")
            elif r is not True and r not in (0x04, 0x06, 0x0A, 0x0B):
                problems.append(f"write {v} answered exception {r}")
            if self.unit != VEBUS_UNIT and applied.count(v) > 1:
                problems.append(f"write {v} applied {applied.count(v)} times")
        if writes and writes[-1][1] is True and held != writes[-1][0]:
            problems.append(f"the device holds {held}, the last write was {writes[-1][0]}")

        oks = sum(1 for _, r in writes if r is True)
        codes = sorted({f"{r:02X}" for _, r in writes if r is not True and r != "lost"})
        if problems:  # what the bridge said during this cell, for whoever reads the failure
            self.logs.append(f"--- {self.kind} / {name}: bridge log\n" +
                             self.bridge.drain(0.01)[log_from:][-6000:])
        text = (f"{'ok' if not problems else 'FAIL'} {recovered or 0:.1f}s "
                f"w{oks}/{len(writes)}{' ' + ','.join(codes) if codes else ''}")
        return {"text": text, "problems": problems, "seen": sorted(seen)}

    def run(self):
        try:
            self.start()
            for name, seconds, on, off in FAULTS:
                self.cells[name] = self.run_cell(name, seconds, on, off)
            if self.stop() != 0:
                self.cells["exit"] = {"text": "", "problems": ["the bridge did not exit 0"]}
        except Exception as e:  # the row as a whole failed: say so in the table
            self.cells["row"] = {"text": "ERROR", "problems": [f"{type(e).__name__}: {e}"]}


class FaultMatrixTest(unittest.TestCase):
    def test_matrix(self):
        with tempfile.TemporaryDirectory(prefix="vxb-faults-") as tmp:
            rows = []
            for i, kind in enumerate(LINKS):
                d = os.path.join(tmp, str(i))
                os.mkdir(d)
                rows.append(Row(kind, d))
            threads = [threading.Thread(target=r.run) for r in rows]
            for t in threads:
                t.start()
            for t in threads:
                t.join(600)

        width = 22
        lines = ["", "fault matrix: recovery time after the fault ends (budget: 2 x the back-off "
                 "reached), writes succeeded/issued, exception codes",
                 f"{'link':16}" + "".join(f"{n:{width}}" for n, *_ in FAULTS),
                 f"{'  budget':16}" + "".join(f"{'<= %.1fs' % (2 * backoff_after(s)):{width}}"
                                              for _, s, *_ in FAULTS)]

        failures = []
        for r in rows:
            lines.append(f"{r.kind:16}" + "".join(
                f"{r.cells.get(n, {'text': '-'})['text']:{width}}" for n, *_ in FAULTS))
            for cell, c in r.cells.items():
                failures += [f"{r.kind} / {cell}: {p}" for p in c["problems"]]
        lines.append("faulty unit during the fault: " + "; ".join(
            f"{r.kind}/{n}: {'+'.join(c.get('seen', []))}" for r in rows for n, c in r.cells.items()
            if c.get("seen")))
        print("\n".join(lines), file=sys.stderr)
        for r in rows:
            for log in r.logs:
                print(log, file=sys.stderr)

        self.assertEqual(failures, [], "\n".join(failures))


if __name__ == "__main__":
    unittest.main()
