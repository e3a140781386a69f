#!/usr/bin/python3
"""Soak: 64 Modbus clients poll both standard maps (Victron GX and Studer Xcom-485i) for 10
minutes while the simulators run and faults are injected on both links; reports throughput,
p99 latency, RSS at start and end (no growth), CPU, and what the clients saw.

The demo topology with the simulators in their own processes (bench/benchlib.py). Four mbload
instances of 16 clients each (closed loop, no think time: the worst case, not a SCADA poll
rate): GX vebus (unit 227, FC3 3..52), GX system (unit 100, FC3 800..839), Xtender infos (unit
11, FC4 0..17), VarioTrack infos (unit 21, FC4 0..43). Every 30 s one fault from the cycle below

is switched on for 10 s (the MK3 or the Xcom link); reads of a unit whose device is offline are
answered 0x0A and counted as errors by mbload - expected during those faults, zero otherwise.

Usage: bench/soak.py [path/to/vxbridge] [seconds]   (defaults: build-release/vxbridge, 600)
"""
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("VXBRIDGE_BIN", sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge")
from benchlib import ROOT, cpu_seconds, demo_site, rss_kb, start_bridge  # noqa: E402

SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 600
SHARED = os.environ.get("VXBRIDGE_SHARED", os.path.join(ROOT, "..", "shared"))
OUT = os.path.join(ROOT, "bench", "out")
LOADS = (  # name, unit, fc, first register, count
    ("gx-vebus", 227, 3, 3, 50),
    ("gx-system", 100, 3, 800, 40),
    ("xt-infos", 11, 4, 0, 18),  # infos 3000-3008 (the map has gaps after them: 0x02)
    ("vt-infos", 21, 4, 0, 44),  # infos 11000-11021
)
FAULTS = (  # simulator (0 = MK3, 1 = Xcom), on, off
    (0, "drop 0.3", "drop 0"),
    (1, "corrupt 0.3", "corrupt 0"),
    (0, "silent on", "silent off"),
    (1, "busy on", "busy off"),
    (1, "vanish 10000", None),
    (0, "delay 1200", "delay 0"),
    (1, "silent on", "silent off"),
    (0, "vanish 10000", None),
)


def mbload():
    build = os.path.join(OUT, "mbload-build")
    if not os.path.exists(os.path.join(build, "mbload")):
        subprocess.run(["cmake", "-S", os.path.join(SHARED, "bench", "mbload"), "-B", build],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["cmake", "--build", build], check=True, stdout=subprocess.DEVNULL)
    return os.path.join(build, "mbload")


def parse(line):
    return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)


def main():
    os.makedirs(OUT, exist_ok=True)
    tool = mbload()
    with tempfile.TemporaryDirectory() as tmp:
        cfg, port, sims = demo_site(tmp, ("--latency", "30"))
        log = open(os.path.join(OUT, "soak-vxbridge.log"), "w")
        bridge = start_bridge(os.environ["VXBRIDGE_BIN"], cfg, port, log)
        time.sleep(8)  # links up, first sweeps done
        loads = [subprocess.Popen(
            [tool, "--port", str(port), "--unit", str(unit), "--clients", "16", "--seconds",
             str(int(SECONDS)), "--warmup", "5", "--fc", str(fc), "--addr", str(addr), "--count",
             str(count), "--timeout-ms", "2000"], stdout=subprocess.PIPE, text=True)
            for _, unit, fc, addr, count in LOADS]
        time.sleep(5)  # the warm-up: connections open, allocations made
        rss_start, cpu0, t0 = rss_kb(bridge.pid), cpu_seconds(bridge.pid), time.monotonic()
        samples, faults_done = [], []
        stop = threading.Event()

        def inject():
            i = 0
            while not stop.wait(20):
                sim, on, off = FAULTS[i % len(FAULTS)]
                sims[sim].control(on)
                faults_done.append(on)
                if stop.wait(10):
                    break
                if off:
                    sims[sim].control(off)
                i += 1
            for s in sims:  # whatever was on, off
                for line in ("drop 0", "corrupt 0", "silent off", "busy off", "delay 0"):
                    s.control(line)

        injector = threading.Thread(target=inject)
        injector.start()
        while time.monotonic() - t0 < SECONDS:
            time.sleep(min(30, max(0.1, SECONDS - (time.monotonic() - t0))))
            samples.append((time.monotonic() - t0, rss_kb(bridge.pid)))
        results = [parse(p.communicate()[0].strip().splitlines()[-1]) for p in loads]
        cpu = (cpu_seconds(bridge.pid) - cpu0) / (time.monotonic() - t0) * 100
        rss_end = rss_kb(bridge.pid)
        stop.set()
        injector.join()
        bridge.terminate()
        code = bridge.wait(10)
        for s in sims:
            s.stop()

    total = sum(float(r["rps"]) for r in results)
    print(f"soak: {SECONDS:.0f} s, 64 clients (4 x 16), {len(faults_done)} faults injected "
          f"({', '.join(sorted(set(faults_done)))}), bridge exit {code}")
    print(f"{'load':10} {'req/s':>8} {'p50 us':>8} {'p99 us':>8} {'max us':>9} {'errors':>8} {'requests':>10}")
    for (name, *_), r in zip(LOADS, results):
        print(f"{name:10} {float(r['rps']):8.0f} {float(r['p50_us']):8.0f} {float(r['p99_us']):8.0f} "
              f"{float(r['max_us']):9.0f} {int(r['errors']):8d} {int(r['requests']):10d}")
    print(f"throughput: {total:.0f} req/s in all; worst p99 "
          f"{max(float(r['p99_us']) for r in results):.0f} us")
    print(f"CPU of the bridge: {cpu:.0f} % of a core (2 cores shared with 4 mbload and 2 simulators)")
    print(f"RSS: start {rss_start / 1024:.1f} MB, end {rss_end / 1024:.1f} MB "
          f"(end / start {rss_end / rss_start:.3f}); samples every 30 s: "
          + " ".join(f"{kb / 1024:.1f}" for _, kb in samples))


if __name__ == "__main__":
    main()
