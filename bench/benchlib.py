"""Shared by the Python benchmarks: the demo topology with its simulators in their own
processes (so only the gateway is measured), and CPU / RSS of a process from /proc."""
import os
import socket
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
os.environ.setdefault("VXBRIDGE_SOURCE_DIR", ROOT)
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / TICK


def rss_kb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])


def demo_site(tmp, sim_args=()):
    """Starts the two simulators and writes config/demo.yaml pointed at them.
    Returns (config path, Modbus port, [vebus sim, xcom sim])."""
    from bridge_harness import free_port
    from sim_harness import Simulator
    mk3 = os.path.join(tmp, "mk3")
    moxa, ours, port = free_port(), free_port(), free_port(socket.SOCK_STREAM)
    sims = [Simulator("vebus", "--pty", mk3, *sim_args),
            Simulator("xcom", "--udp", f"127.0.0.1:{moxa}", "--udp-dest", f"127.0.0.1:{ours}", *sim_args)]
    demo = open(os.path.join(ROOT, "config", "demo.yaml")).read()
    demo = demo.replace("port: simulated", f"port: {mk3}").replace("../maps", os.path.join(ROOT, "maps"))
    demo = demo.replace("remote: 127.0.0.1:0, local: 127.0.0.1:0",
                        f"remote: 127.0.0.1:{moxa}, local: 127.0.0.1:{ours}")
    demo += f"state: {{dir: {os.path.join(tmp, 'state')}}}\n"  # never /var/lib/vxbridge
    cfg = os.path.join(tmp, "site.yaml")
    open(cfg, "w").write(demo)
    return cfg, port, sims


def start_bridge(binary, cfg, port, log=subprocess.DEVNULL):
    return subprocess.Popen([binary, "run", "-c", cfg, "--listen", f"127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
