#!/usr/bin/python3
"""Xcom link benchmark: values refreshed per second through one link (UDP, like an Xcom-LAN)
against the simulator's reply latency L. With single reads the ceiling is 1000 / L values per
second (one request in flight); target >= 90 % of it. With multi-info up to 76 infos come back
in one exchange: the gain is reported as a ratio.

Usage: bench/xcom_bench.py [path/to/vxbridge] [latency_ms] [infos]
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
from pymodbus.client import ModbusTcpClient  # noqa: E402

from bridge_harness import Bridge, free_port  # noqa: E402
from sim_harness import Simulator  # noqa: E402

LATENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 50
INFOS = int(sys.argv[3]) if len(sys.argv) > 3 else 60


def run(tmp, multi_info, seconds=10):
    moxa, ours = free_port(), free_port()
    args = ["xcom", "--udp", f"127.0.0.1:{moxa}", "--udp-dest", f"127.0.0.1:{ours}",
            "--latency", str(LATENCY), "--slow-every", "0"]
    sim = Simulator(*args)
    bridge = Bridge(
        "modbus: {listen: 127.0.0.1:0}\n"
        f"devices:\n  studer: {{driver: xcom, transport: {{udp: {{remote: 127.0.0.1:{moxa}, local: 127.0.0.1:{ours}}}}}, "
        f"fast: 0.1, multi_info: {'true' if multi_info else 'false'}}}\n"
        f"units:\n  - {{unit_id: 11, device: studer, address: 101, map: {os.path.join(tmp, 'infos.yaml')}}}\n"
        f"  - {{unit_id: 1, device: studer, address: 501, map: {os.path.join(tmp, 'link.yaml')}}}\n")
    assert bridge.wait_for("Xcom answering", 10)
    c = ModbusTcpClient("127.0.0.1", port=bridge.port)
    c.connect()
    def read():
        r = c.read_holding_registers(0, 2, slave=1).registers
        return (r[0] << 16) | r[1]

    def next_change(after):
        # The counter is published once per poll pass: time its changes, not our sampling.
        while True:
            v = read()
            if v != after and v != 0xFFFFFFFF:
                return v, time.monotonic()
            time.sleep(0.01)

    v0, t0 = next_change(read())
    v1, t1 = v0, t0
    while t1 - t0 < seconds:
        v1, t1 = next_change(v1)
    c.close(); bridge.stop(); sim.stop()
    return (v1 - v0) / (t1 - t0)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        # The first INFOS Xtender infos of the catalogue (the generated Xcom-485i map).
        src = os.path.join(os.path.dirname(__file__), "..", "maps", "studer-xcom485i", "xtender.yaml")
        lines = [l for l in open(src) if "source: {info:" in l][:INFOS]
        with open(os.path.join(tmp, "infos.yaml"), "w") as f:
            f.write("schema: 1\nname: bench-infos\ndriver: xcom\nmax_age: 0\ninput:\n" + "".join(lines))
        with open(os.path.join(tmp, "link.yaml"), "w") as f:
            f.write("schema: 1\nname: link\ndriver: xcom\nmax_age: 0\nregisters:\n"
                    "  - {name: values, address: 0, type: u32, source: {xcom: link_values}}\n")
        ceiling = 1000.0 / LATENCY
        single = run(tmp, False)
        multi = run(tmp, True)
        print(f"single reads: {single:.1f} values/s; ceiling 1000/{LATENCY} ms = {ceiling:.1f}; "
              f"ratio {single / ceiling:.3f} (target >= 0.9)")
        print(f"multi-info:   {multi:.1f} values/s ({len(lines)} infos per exchange); gain x{multi / single:.1f}")
