#!/usr/bin/python3
"""VE.Bus link benchmark: the bridge against the Multi simulator over a pty, 2400-baud byte
timing on, reply latency L.

1. Poll cycle time, polling back to back (poll_interval 0), against the wire time of the bytes
   exchanged plus L per reply: target cycle <= 1.2 x (wire + replies x L).
2. ESS write latency (Modbus FC6 to register 37 -> MK3 WriteViaID -> 0x87 -> Modbus reply) with
   a 1 s poll interval, against the write exchange's own wire time: target <= wire + L + 10 ms.
   Writes that land while a poll exchange is on the wire wait for it (one request in flight):
   reported separately.

Usage: bench/vebus_bench.py [path/to/vxbridge] [latency_ms]
"""
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
from pymodbus.client import ModbusTcpClient  # noqa: E402

from bridge_harness import Bridge  # noqa: E402
from sim_harness import Simulator  # noqa: E402

LATENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 30
BYTE_MS = 10 / 2400 * 1000
WRITE_WIRE_MS = (9 + 5) * BYTE_MS  # 07 FF 58 37 02 83 lo hi K  +  03 FF 58 87 K

LINK_MAP = """schema: 1
name: vebus-link
driver: vebus
max_age: 0
registers:
  - {name: cycles, address: 0, type: u32, source: {vebus: link_cycles}}
  - {name: wire_ms, address: 2, type: u32, source: {vebus: link_wire_ms}}
  - {name: requests, address: 4, type: u32, source: {vebus: link_requests}}
  - {name: timeouts, address: 6, type: u32, source: {vebus: link_timeouts}}
"""


def start(tmp, poll_interval):
    link = os.path.join(tmp, f"mk3-{poll_interval}")
    sim = Simulator("vebus", "--pty", link, "--latency", str(LATENCY))
    with open(os.path.join(tmp, "link.yaml"), "w") as f:
        f.write(LINK_MAP)
    gx = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "maps", "victron-gx", "vebus.yaml"))
    bridge = Bridge(
        "modbus: {listen: 127.0.0.1:0}\n"
        f"devices:\n  multi: {{driver: vebus, port: {link}, poll_interval: {poll_interval}}}\n"
        f"units:\n  - {{unit_id: 227, device: multi, map: {gx}}}\n"
        f"  - {{unit_id: 1, device: multi, map: {os.path.join(tmp, 'link.yaml')}}}\n")
    assert bridge.wait_for("VE.Bus up", 15)
    client = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
    client.connect()
    return sim, bridge, client


def counters(client):
    r = client.read_holding_registers(0, 8, slave=1).registers
    return [(r[i] << 16) | r[i + 1] for i in range(0, 8, 2)]


def cycle_benchmark(tmp, seconds=12):
    sim, bridge, client = start(tmp, 0)
    time.sleep(2)
    c0, t0 = counters(client), time.monotonic()
    time.sleep(seconds)
    c1, t1 = counters(client), time.monotonic()
    client.close(); bridge.stop(); sim.stop()
    cycles = c1[0] - c0[0]
    elapsed_ms = (t1 - t0) * 1000
    wire = (c1[1] - c0[1]) / cycles
    replies = (c1[2] - c0[2] - cycles) / cycles  # one 'F' 06 per cycle has no reply
    cycle = elapsed_ms / cycles
    ideal = wire + replies * LATENCY
    print(f"poll cycle: {cycle:.1f} ms over {cycles} cycles; wire {wire:.1f} ms + {replies:.2f} replies x {LATENCY} ms"
          f" = {ideal:.1f} ms; ratio {cycle / ideal:.3f} (target <= 1.2); timeouts {c1[3] - c0[3]}")
    return cycle / ideal


def write_benchmark(tmp, n=40):
    sim, bridge, client = start(tmp, 1)
    time.sleep(1.5)
    lat = []
    for i in range(n):
        v = (-(100 + i)) & 0xFFFF
        t = time.perf_counter()
        rr = client.write_register(37, v, slave=227)
        lat.append((time.perf_counter() - t) * 1000)
        assert not rr.isError(), rr
        time.sleep(0.137 * (1 + i % 5))  # not in step with the poll cycle
    client.close(); bridge.stop(); sim.stop()
    target = WRITE_WIRE_MS + LATENCY + 10
    idle = [x for x in lat if x <= target]
    lat.sort()
    print(f"ESS write: min {lat[0]:.1f} median {statistics.median(lat):.1f} p90 {lat[int(0.9 * n)]:.1f} "
          f"max {lat[-1]:.1f} ms; target wire {WRITE_WIRE_MS:.1f} + latency {LATENCY} + 10 = {target:.1f} ms; "
          f"{len(idle)}/{n} within (the rest waited for a poll exchange on the wire)")
    return statistics.median(lat) / (WRITE_WIRE_MS + LATENCY)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        cycle_benchmark(tmp)
        write_benchmark(tmp)
