#!/usr/bin/python3
"""Summarises bench/out/results.txt: per cell the median server CPU per request and p99 of each
server, and the ratios vxbridge/refserver and vxbridge/bare that the benchmark targets."""
import re
import statistics
import sys
from collections import defaultdict

cells = defaultdict(lambda: defaultdict(list))
for line in open(sys.argv[1] if len(sys.argv) > 1 else "bench/out/results.txt"):
    m = re.match(r"(\w+)\s+(\w+)\s+clients=(\d+)", line)
    if not m:
        continue
    f = dict(kv.split("=") for kv in re.findall(r"\w+=[\d.]+", line.split("mbload:")[1]))
    key = (m.group(2), int(m.group(3)))
    cells[key][m.group(1)].append((float(f["server_cpu_us_per_req"]), float(f["p99_us"]), float(f["rps"])))

print("| load | clients | server | rps | p99 µs | CPU µs/req | vs refserver | vs bare |")
print("|---|---|---|---|---|---|---|---|")
for (load, n), servers in sorted(cells.items()):
    med = {s: tuple(statistics.median(v[i] for v in runs) for i in range(3)) for s, runs in servers.items()}
    for s in ("bare", "refserver", "vxbridge"):
        if s not in med:
            continue
        cpu, p99, rps = med[s]
        vs_ref = f"{cpu / med['refserver'][0]:.2f}× CPU, {p99 / med['refserver'][1]:.2f}× p99" if "refserver" in med and s == "vxbridge" else ""
        vs_bare = f"{cpu / med['bare'][0]:.2f}×" if "bare" in med and s == "vxbridge" else ""
        print(f"| {load} | {n} | {s} | {rps:.0f} | {p99:.0f} | {cpu:.1f} | {vs_ref} | {vs_bare} |")
