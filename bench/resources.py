#!/usr/bin/python3
"""Resource budget of the gateway with the demo topology (a Multi on a pty, a Studer system on
UDP, a static unit, the status unit), the simulators running as separate processes so only the
gateway is measured. Targets: RSS <= 16 MB, idle polling CPU <= 1 % of a core, start-up to the
first served request <= 200 ms.

Usage: bench/resources.py [path/to/vxbridge] [seconds] [path/to/other/vxbridge]
With another binary (e.g. the session start's), the start-ups of both are measured interleaved
against the same simulators and compared (the other gets the config without options it may not
know yet: `ess.mode`).
"""
import os
import socket
import statistics
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
from benchlib import ROOT, cpu_seconds, demo_site, rss_kb, start_bridge  # noqa: E402

SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 20
STARTS = 7


OTHER = sys.argv[3] if len(sys.argv) > 3 else None


def first_request_ms(cfg, port, binary=None):
    """Start-up to the first served request: exec, then a raw socket probe every millisecond
    (a Modbus client library's own connect back-off would be measured too)."""
    request = struct.pack(">HHHBBHH", 1, 0, 6, 200, 3, 10, 1)  # unit 200 (static), FC3 10 x 1
    t0 = time.monotonic()
    p = start_bridge(binary or os.environ["VXBRIDGE_BIN"], cfg, port)
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(request)
                if len(s.recv(64)) == 11:  # MBAP + FC3 reply with one register
                    return p, (time.monotonic() - t0) * 1000
        except OSError:
            if p.poll() is not None:
                sys.exit(f"vxbridge exited with {p.returncode} before serving (config {cfg})")
            time.sleep(0.001)


with tempfile.TemporaryDirectory() as tmp:
    cfg, port, sims = demo_site(tmp)
    starts = []
    for _ in range(STARTS):  # the median of several starts: a 2-core VM's noise is ~20 %
        p, ms = first_request_ms(cfg, port)
        starts.append(ms)
        if len(starts) < STARTS:
            p.terminate()
            p.wait()
    start_ms = statistics.median(starts)
    if OTHER:
        other_cfg = os.path.join(tmp, "other.yaml")
        # ... and its own tree's maps when it sits in a build dir of another checkout.
        text = open(cfg).read().replace("mode: optimized, ", "")
        text = "".join(l for l in text.splitlines(True) if not l.startswith("state:"))
        other_maps = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(OTHER))), "maps")
        if os.path.isdir(other_maps):
            text = text.replace(os.path.join(ROOT, "maps"), other_maps)
        open(other_cfg, "w").write(text)
        p.terminate()
        p.wait()
        ours, theirs = [], []
        for _ in range(9):
            for binary, c, out in ((OTHER, other_cfg, theirs),
                                   (os.environ["VXBRIDGE_BIN"], cfg, ours)):
                q, ms = first_request_ms(c, port, binary)
                out.append(ms)
                q.terminate()
                q.wait()
        print(f"start-up side by side, 9 interleaved starts each: this binary "
              f"{statistics.median(ours):.0f} ms, {OTHER} {statistics.median(theirs):.0f} ms "
              f"(ratio {statistics.median(ours) / statistics.median(theirs):.2f})")
        p, _ = first_request_ms(cfg, port)
    time.sleep(5)  # links up, first sweeps done
    c0, w0 = cpu_seconds(p.pid), time.monotonic()
    time.sleep(SECONDS)
    cpu = (cpu_seconds(p.pid) - c0) / (time.monotonic() - w0) * 100
    rss = rss_kb(p.pid) / 1024
    p.terminate()
    p.wait()
    for s in sims:
        s.stop()
    print(f"start-up to first served request: median {start_ms:.0f} ms of {STARTS} starts "
          f"({min(starts):.0f}-{max(starts):.0f}; target <= 200, ratio {start_ms / 200:.2f})")
    print(f"RSS with the demo topology: {rss:.1f} MB (target <= 16, ratio {rss / 16:.2f})")
    print(f"CPU while polling (MK3 every 0.5 s, Xcom infos every 2 s): {cpu:.2f} % of a core "
          f"(target <= 1, ratio {cpu / 1:.2f})")
