#!/usr/bin/python3
"""Multi-unit VE.Bus benchmark (issue 14): the bridge against the simulator's 3 x 1 and 3 x 2
systems over a pty, 2400-baud byte timing, reply latency L, the GX ESS setpoints held on all
three phases.

The floor is what the simulator saw on the line: (bytes received + bytes sent) x 4.17 ms + L per
answered request - the time the frames the driver chose need, with nothing in between.
1. Poll cycle (back to back, poll_interval 0): time per cycle / floor per cycle. Target <= 1.2.
2. ESS refresh per phase master: the interval between two setpoint writes a master takes, against
   the floor of the poll cycle it is refreshed in (once per cycle). Target <= 1.2.
3. ESS write round trip per phase (FC6 to 37 / 40 / 41 -> 'A' to the phase master if another unit
   is selected -> WriteViaID -> 0x87 -> Modbus reply) against the floor of its own frames ('A' +
   echo + write + reply: 26 bytes + 2 L), twice: with a 4 s poll interval (the link mostly idle:
   the write's own cost) and polling back to back (a write waits for the exchange in flight -
   one request at a time - and then needs its 'A': the cost an energy manager sees on a busy
   line).

Usage: bench/vebus_multi_bench.py [path/to/vxbridge] [latency_ms] [seconds]
"""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
import benchlib  # noqa: E402,F401  (puts tests/e2e on the path)
from bridge_harness import Bridge, SOURCE  # noqa: E402
from pymodbus.client import ModbusTcpClient  # noqa: E402
from sim_harness import Simulator, wait_until  # noqa: E402

LATENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 30
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 20
BYTE_MS = 10 / 2400 * 1000
GX = os.path.join(SOURCE, "maps", "victron-gx", "vebus.yaml")


def floor_ms(st):
    return (int(st["rx_bytes"]) + int(st["tx_bytes"])) * BYTE_MS + int(st["answered"]) * LATENCY


def start(tmp, topology, poll_interval):
    link = os.path.join(tmp, f"mk3-{topology}-{poll_interval}")
    sim = Simulator("vebus", "--pty", link, "--topology", topology, "--latency", str(LATENCY))
    bridge = Bridge(
        "modbus: {listen: 127.0.0.1:0}\n"
        f"devices:\n  multi: {{driver: vebus, port: {link}, poll_interval: {poll_interval}, "
        "ess: {refresh: 1, setpoint_timeout: 600}}\n"
        f"units:\n  - {{unit_id: 227, device: multi, map: {GX}}}\n")
    assert bridge.wait_for("VE.Bus up", 60), bridge.output
    client = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=5)
    assert client.connect()
    # Hold a setpoint on every phase, as an energy manager in mode 3 does.
    assert not client.write_registers(37, [0xFFFF - 99, 0, 0, 0xFFFF - 99, 0xFFFF - 99],
                                      slave=227).isError()
    return sim, bridge, client


def cycle_and_refresh(tmp, topology):
    sim, bridge, client = start(tmp, topology, 0)
    try:
        time.sleep(3)
        s0, t0 = sim.control("status"), time.monotonic()
        time.sleep(SECONDS)
        s1, t1 = sim.control("status"), time.monotonic()
        elapsed = (t1 - t0) * 1000
        floor = floor_ms(s1) - floor_ms(s0)
        writes = [int(s1[f"ess_writes_l{p}"]) - int(s0[f"ess_writes_l{p}"]) for p in (1, 2, 3)]
        n = min(writes)  # one refresh per master per cycle
        cycle, cycle_floor = elapsed / n, floor / n
        refresh = [elapsed / w for w in writes]
        frames = (int(s1["answered"]) - int(s0["answered"])) / n
        print(f"{topology}: poll cycle {cycle:.0f} ms, floor {cycle_floor:.0f} ms "
              f"({frames:.1f} answered frames, L = {LATENCY} ms): ratio {cycle / cycle_floor:.3f}"
              f" (target <= 1.2)")
        print(f"{topology}: ESS refresh interval per master L1/L2/L3 "
              + " / ".join(f"{x:.0f}" for x in refresh)
              + f" ms; ratio to the cycle floor {max(refresh) / cycle_floor:.3f} (target <= 1.2)")
        return cycle / cycle_floor, max(refresh) / cycle_floor
    finally:
        client.close(); bridge.stop(); sim.stop()


def write_round_trip(tmp, topology, poll_interval, n=20):
    sim, bridge, client = start(tmp, topology, poll_interval)
    floor = 26 * BYTE_MS + 2 * LATENCY
    try:
        time.sleep(2)
        out = []
        for reg, phase in ((37, 1), (40, 2), (41, 3)):
            lat = []
            for i in range(n):
                t = time.perf_counter()
                rr = client.write_register(reg, (-(200 + i)) & 0xFFFF, slave=227)
                lat.append((time.perf_counter() - t) * 1000)
                assert not rr.isError(), rr
                time.sleep(0.137 * (1 + i % 5))  # not in step with the poll cycle
            med = statistics.median(lat)
            out.append(med / floor)
            print(f"{topology}, poll interval {poll_interval} s: ESS write L{phase} (register "
                  f"{reg}): median {med:.0f} ms, min {min(lat):.0f}, max {max(lat):.0f}; floor "
                  f"{floor:.0f} ms ('A' + write); median ratio {med / floor:.2f}")
        return out
    finally:
        client.close(); bridge.stop(); sim.stop()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        for topo in ("3x1", "3x2"):
            cycle_and_refresh(tmp, topo)
            write_round_trip(tmp, topo, 4)
            write_round_trip(tmp, topo, 0)
