#!/usr/bin/python3
"""Resource budget of the gateway with the demo topology (a Multi on a pty, a Studer system on
UDP, a static unit, the status unit), the simulators running as separate processes so only the
gateway is measured. Targets: RSS <= 16 MB, idle polling CPU <= 1 % of a core, start-up to the
first served request <= 200 ms.

Usage: bench/resources.py [path/to/vxbridge] [seconds]
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
from benchlib import cpu_seconds, demo_site, rss_kb, start_bridge  # noqa: E402
from pymodbus.client import ModbusTcpClient  # noqa: E402
import logging  # noqa: E402
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # the start-up probe loop is noisy

SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 20


with tempfile.TemporaryDirectory() as tmp:
    cfg, port, sims = demo_site(tmp)
    t0 = time.monotonic()
    p = start_bridge(os.environ["VXBRIDGE_BIN"], cfg, port)
    c = ModbusTcpClient("127.0.0.1", port=port, timeout=1)
    while True:
        if c.connect() and not c.read_holding_registers(10, 1, slave=200).isError():
            break
        time.sleep(0.002)
    start_ms = (time.monotonic() - t0) * 1000
    c.close()
    time.sleep(5)  # links up, first sweeps done
    c0, w0 = cpu_seconds(p.pid), time.monotonic()
    time.sleep(SECONDS)
    cpu = (cpu_seconds(p.pid) - c0) / (time.monotonic() - w0) * 100
    rss = rss_kb(p.pid) / 1024
    p.terminate()
    p.wait()
    for s in sims:
        s.stop()
    print(f"start-up to first served request: {start_ms:.0f} ms (target <= 200, ratio {start_ms / 200:.2f})")
    print(f"RSS with the demo topology: {rss:.1f} MB (target <= 16, ratio {rss / 16:.2f})")
    print(f"CPU while polling (MK3 every 0.5 s, Xcom infos every 2 s): {cpu:.2f} % of a core "
          f"(target <= 1, ratio {cpu / 1:.2f})")
