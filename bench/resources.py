#!/usr/bin/python3
"""Resource budget of the gateway with the demo topology (a Multi on a pty, a Studer system on
UDP, a static unit, the status unit), the simulators running as separate processes so only the
gateway is measured. Targets: RSS <= 16 MB, idle polling CPU <= 1 % of a core, start-up to the
first served request <= 200 ms.

Usage: bench/resources.py [path/to/vxbridge] [seconds]
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
from pymodbus.client import ModbusTcpClient  # noqa: E402
import logging  # noqa: E402
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)  # the start-up probe loop is noisy

from bridge_harness import BIN, free_port  # noqa: E402
from sim_harness import Simulator  # noqa: E402

SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 20
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


with tempfile.TemporaryDirectory() as tmp:
    mk3 = os.path.join(tmp, "mk3")
    moxa, ours, port = free_port(), free_port(), free_port(socket.SOCK_STREAM)
    sims = [Simulator("vebus", "--pty", mk3), Simulator("xcom", "--udp", f"127.0.0.1:{moxa}", "--udp-dest", f"127.0.0.1:{ours}")]
    demo = open(os.path.join(ROOT, "config", "demo.yaml")).read()
    demo = demo.replace("port: simulated", f"port: {mk3}").replace("../maps", os.path.join(ROOT, "maps"))
    demo = demo.replace("remote: 127.0.0.1:0, local: 127.0.0.1:0", f"remote: 127.0.0.1:{moxa}, local: 127.0.0.1:{ours}")
    cfg = os.path.join(tmp, "site.yaml")
    open(cfg, "w").write(demo)
    t0 = time.monotonic()
    p = subprocess.Popen([BIN, "run", "-c", cfg, "--listen", f"127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
