#!/usr/bin/python3
"""Step responses of the bridge's ESS loop on the simulated site (a Multi on a pty that ramps
at 400 W/s to 96 % of its setpoint), with the GX law (`ess.control: gx`) and the default law
(GX + integral) side by side in one run, the same steps for both:

  target   2700: 50 -> -1500 W          (FC6, as Home Assistant writes it)
  override 2716: -1500 -> +1000 W       (FC16 int32, as openWB writes it)
  expiry   the override lapses          (ess.override_timeout 16 s here) -> back to 2700
  load     +2 kW on AC-out at 50 W      (no grid meter: the Multi's AC input is held)

With --meter MODEL the site has a grid meter (the simulated MODEL on RS-485 at 9600 baud,
`ess.grid_meter`), the loop regulates on it, and the load step is +2 kW between the meter and
the Multi (grid_load) - the load the Multi's AC input cannot see.

Per step: settling time to within 2 % of the step (at least 20 W) as a ratio of the plant's
floor = ramp time (|step| / 400 W/s) + one measurement period (the VE.Bus poll cycle) + one MK3
write round trip; and the steady-state error (mean |grid - target| over the last 3 s of the
window). Targets (issue 12): settling <= 1.3 x floor, steady-state error <= 1/4 of the GX law's.

Usage: bench/ess_bench.py [path/to/vxbridge] [--meter MODEL]   (default build-release/vxbridge)
"""
import os
import statistics
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:]]
METER = None
if "--meter" in ARGS:
    i = ARGS.index("--meter")
    METER = ARGS[i + 1]
    del ARGS[i:i + 2]
os.environ.setdefault("VXBRIDGE_BIN", ARGS[0] if ARGS else "build-release/vxbridge")
import benchlib  # noqa: E402,F401  (puts tests/e2e on the path)
from bridge_harness import Bridge  # noqa: E402
from pymodbus.client import ModbusTcpClient  # noqa: E402
from sim_harness import Simulator, wait_until  # noqa: E402

ROOT = benchlib.ROOT
RAMP = 400.0          # W/s, the Multi's ESS rate limit (simulated as on the real firmware)
WRITE_RTT = 0.105     # s: 'X' WriteRAM (11 bytes) + reply (7) at 2400 baud + 30 ms latency
WINDOW = 14.0         # s per step


def s16(v):
    return v - 65536 if v >= 32768 else v


def site(link, state, law, meter_link=None):
    vebus = os.path.join(ROOT, "maps", "victron-gx", "vebus.yaml")
    system = os.path.join(ROOT, "maps", "victron-gx", "system.yaml")
    meter = ""
    if meter_link:
        meter = (f"  grid: {{driver: modbus, model: {METER}, interval: 0.1, "
                 f"transport: {{serial: {{port: {meter_link}, baud: 9600}}}}}}\n")
    return ("modbus: {listen: 127.0.0.1:0}\n"
            f"state: {{dir: {state}}}\n"
            f"devices:\n  multi:\n    driver: vebus\n    port: {link}\n"
            "    ess: {mode: optimized, control: " + law + ", override_timeout: 16,"
            " max_charge_w: 3000, max_feed_w: 3000" + (", grid_meter: grid" if meter else "")
            + "}\n" + meter +
            f"units:\n  - {{unit_id: 227, device: multi, map: {vebus}}}\n"
            f"  - {{unit_id: 100, device: multi, map: {system}}}\n")


def record(c, seconds):
    """(t, grid W) every ~50 ms for `seconds`."""
    out, t0 = [], time.monotonic()
    while time.monotonic() - t0 < seconds:
        rr = c.read_input_registers(820, 1, slave=100)
        if not rr.isError():
            out.append((time.monotonic() - t0, s16(rr.registers[0])))
        time.sleep(0.05)
    return out


def analyse(samples, before, target, step=None):
    step = step or abs(target - before)
    band = max(0.02 * step, 25)  # 2 % of the step, or the 25 W
    settle = 0.0
    for t, g in samples:
        if abs(g - target) > band:
            settle = t
    tail = [abs(g - target) for t, g in samples if t >= samples[-1][0] - 3]
    return step, settle, statistics.mean(tail)


def run(law, cycle_s_out):
    tmp = tempfile.mkdtemp(prefix="vxb-essbench-")
    link = os.path.join(tmp, "mk3")
    meter_link = os.path.join(tmp, "meter") if METER else None
    extra = ["--meter", METER, "--meter-pty", meter_link] if METER else []
    sim = Simulator("vebus", "--pty", link, "--load", "1500", *extra)
    bridge = Bridge(site(link, os.path.join(tmp, "state"), law, meter_link))
    try:
        assert bridge.wait_for("VE.Bus up", 15), bridge.output
        c = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
        assert c.connect()
        c.write_register(2900, 10, slave=100)  # optimized without BatteryLife: no SoC states
        c.write_register(2700, 50, slave=100)
        assert wait_until(lambda: abs(s16(c.read_input_registers(820, 1, slave=100).registers[0]) - 50) < 60, 30)
        record(c, 6)  # steady before the first step
        # The loop steps on each fresh VE.Bus cycle (device "multi" on the status unit; the
        # meter "grid" sorts before it), on the meter's latest sample.
        cycle = c.read_holding_registers(138 if METER else 118, 1, slave=247).registers[0] / 1000.0
        cycle_s_out.append(cycle)
        if METER:  # the meter's own cycle: a step shows on it up to one cycle late
            meter_cycles.append(c.read_holding_registers(118, 1, slave=247).registers[0] / 1000.0)
        rows = []
        c.write_register(2700, (-1500) & 0xFFFF, slave=100)
        rows.append(("target 2700 50 -> -1500", 50, -1500, record(c, WINDOW)))
        c.write_registers(2716, list(struct.unpack(">HH", struct.pack(">i", 1000))), slave=100)
        written = time.monotonic()
        rows.append(("override 2716 -> +1000", -1500, 1000, record(c, WINDOW)))
        # The override lapses 16 s after its write: that window starts at the expiry.
        time.sleep(max(0.0, written + 16.0 - time.monotonic()))
        rows.append(("override expiry -> -1500", 1000, -1500, record(c, WINDOW)))
        c.write_register(2700, 50, slave=100)
        sim.control("load 500")
        record(c, WINDOW)
        if METER:
            sim.control("grid_load 2000")
            rows.append(("load +2 kW grid-side", 50, 50, record(c, WINDOW)))
        else:
            sim.control("load 2500")
            rows.append(("load +2 kW on AC-out", 50, 50, record(c, WINDOW)))
        c.close()
        if os.environ.get("ESS_BENCH_TRACE"):
            print(bridge.drain()[-4000:], file=sys.stderr)
        return rows
    finally:
        bridge.stop()
        sim.stop()


meter_cycles = []


def main():
    cycles = []
    results = {law: run(law, cycles) for law in ("gx", "integral")}
    period = max(0.5, statistics.mean(cycles))  # the loop steps on each fresh poll cycle
    meter_period = statistics.mean(meter_cycles) if meter_cycles else 0.0
    if METER:
        print(f"grid measured by a simulated {METER} on RS-485 at 9600 baud (ess.grid_meter), "
              f"meter cycle {meter_period * 1000:.0f} ms (in the floor)")
    print(f"measurement period (VE.Bus poll cycle): {period:.2f} s; MK3 write round trip "
          f"{WRITE_RTT * 1000:.0f} ms; ramp {RAMP:.0f} W/s")
    print("| step | law | settling s | floor s | settling / floor | steady error W | error vs GX law |")
    print("|---|---|---|---|---|---|---|")
    gx_err = {}
    for law in ("gx", "integral"):
        for name, before, target, samples in results[law]:
            # A grid-side load step: the disturbance the Multi must take over, at its ramp.
            step, settle, err = analyse(samples, before, target,
                                        2000 if "grid-side" in name else None)
            if os.environ.get("ESS_BENCH_TRACE"):
                print(law, name, [g for t, g in samples][::4], file=sys.stderr)
            floor = step / RAMP + period + meter_period + WRITE_RTT
            if law == "gx":
                gx_err[name] = err
            ratio = f"{err / gx_err[name]:.2f}x" if law != "gx" and gx_err[name] > 0 else ""
            print(f"| {name} | {law} | {settle:.1f} | {floor:.1f} | {settle / floor:.2f}x | "
                  f"{err:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
