#!/usr/bin/python3
"""Grid-meter samples per second through the bridge (driver modbus, polling as fast as the line
allows: interval 0) against the wire limit of its requests, at 9600 and 115200 baud, for the
EM24 (at most 11 registers per request: 6 requests a cycle) and the SDM630 (one request).

The simulated meter answers on a pty with the byte timing of its baud rate (10 bits a byte) and
no extra latency, so the floor is the bytes: per request 8 (request) + 5 + 2 x registers (reply).
wire limit = 1 / (bytes of one cycle x 10 / baud), the slow blocks (energy counters, every 10th
cycle) counted at a tenth. A real line adds at least 3.5 character times of silence after each
frame (the Modbus serial line spec), which this floor leaves out - the ratio is conservative.
Target (issue 13): >= 0.8.

Usage: bench/meter_bench.py [path/to/vxbridge] [seconds per run]   (default build-release/vxbridge, 10)
"""
import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
import benchlib  # noqa: E402,F401  (puts tests/e2e on the path)
from bridge_harness import Bridge  # noqa: E402
from pymodbus.client import ModbusTcpClient  # noqa: E402
from sim_harness import Simulator, wait_until  # noqa: E402

SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0


def requests(c):
    r = c.read_holding_registers(111, 2, slave=247).registers  # device 1 ("grid")
    return (r[0] << 16) | r[1]


def run(model, baud):
    tmp = tempfile.mkdtemp(prefix="vxb-meterbench-")
    link = os.path.join(tmp, "meter")
    sim = Simulator("vebus", "--pty", os.path.join(tmp, "mk3"), "--meter", model, "--meter-pty",
                    link, "--meter-baud", str(baud), "--meter-latency", "0")
    bridge = Bridge(f"devices:\n  grid: {{driver: modbus, model: {model}, interval: 0, "
                    f"transport: {{serial: {{port: {link}, baud: {baud}}}}}}}\nunits: []\n")
    try:
        assert bridge.wait_for("grid: online", 10), bridge.output
        m = re.search(r"(\d+) requests of (\d+) registers per cycle, (\d+) more of (\d+) every (\d+)th",
                      bridge.log)
        n, regs, slow_n, slow_regs, every = (int(x) for x in m.groups())
        c = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
        assert c.connect()
        r0, t0 = requests(c), time.monotonic()
        time.sleep(SECONDS)
        r1, t1 = requests(c), time.monotonic()
        c.close()
        per_cycle = n + slow_n / every
        cycles_s = (r1 - r0) / (t1 - t0) / per_cycle
        cycle_bytes = 13 * n + 2 * regs + (13 * slow_n + 2 * slow_regs) / every
        limit = baud / 10 / cycle_bytes
        return n, cycle_bytes, cycles_s, limit
    finally:
        bridge.stop()
        sim.stop()


def main():
    print("| meter | baud | requests/cycle | bytes/cycle | samples/s | wire limit /s | ratio |")
    print("|---|---|---|---|---|---|---|")
    for baud in (9600, 115200):
        for model in ("em24", "sdm630"):
            n, b, got, limit = run(model, baud)
            print(f"| {model} | {baud} | {n} | {b:.0f} | {got:.1f} | {limit:.1f} | {got / limit:.2f} |")


if __name__ == "__main__":
    main()
