#!/usr/bin/python3
"""The web view's costs (issue 17) with the demo topology, the simulators in their own processes
so that only the gateway is measured (as bench/resources.py): RSS without the view, with the view
idle, and with 10 pages open (target <= 16 MB), side by side in one run; and the page's first
load in headless Chromium on loopback (target <= 200 ms): navigation to the load event, and until
the first live values are painted.
Usage: bench/web_bench.py [BINARY=build-release/vxbridge] [LOADS=7]"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
binary = sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge"
os.environ.setdefault("VXBRIDGE_BIN", binary)
loads = int(sys.argv[2]) if len(sys.argv) > 2 else 7
from benchlib import demo_site, rss_kb, start_bridge  # noqa: E402
from bridge_harness import free_port  # noqa: E402
import socket  # noqa: E402
from webclient import Chromium, get_json  # noqa: E402


def settle(p, seconds):
    time.sleep(seconds)  # links up, first sweeps done, the start-up trim run
    return rss_kb(p.pid) / 1024


def with_pages(p, web, unit):
    """RSS after 20 s with 10 pages open on `unit` (its first 40 rows, overview, writes, ESS)."""
    pages = subprocess.Popen([sys.executable, os.path.join(HERE, "pages.py"), str(web), "10",
                              str(unit), "40"], stdout=subprocess.PIPE, text=True)
    pages.stdout.readline()
    try:
        return settle(p, 20)
    finally:
        pages.terminate()
        pages.wait()


with tempfile.TemporaryDirectory() as tmp:
    cfg, port, sims = demo_site(tmp)
    plain = open(cfg).read()
    web = free_port(socket.SOCK_STREAM)
    with_web = os.path.join(tmp, "web.yaml")
    open(with_web, "w").write(plain + f"web: {{listen: 127.0.0.1:{web}}}\n")
    try:
        p = start_bridge(binary, cfg, port)
        without = settle(p, 15)
        p.terminate()
        p.wait()
        p = start_bridge(binary, with_web, port)
        idle = settle(p, 15)
        open10 = with_pages(p, web, 227)
        # A page on the Xtender's 1538 registers (the largest table), then 10 pages again.
        big = len(get_json(web, "/api/units/11")["rows"])
        open10_big = with_pages(p, web, 11)

        browser = Chromium()
        browser.call("Network.enable")
        browser.call("Network.setCacheDisabled", {"cacheDisabled": True})
        load_ms, live_ms = [], []
        for _ in range(loads):
            browser.navigate("about:blank")
            browser.navigate(f"http://127.0.0.1:{web}/#/")
            load_ms.append(browser.evaluate(
                "performance.getEntriesByType('navigation')[0].loadEventEnd"))
            live_ms.append(browser.wait_until(
                "document.querySelectorAll('tr[data-device]').length > 0 && performance.now()"))
        unit_ms = []
        for _ in range(3):
            browser.navigate("about:blank")
            browser.navigate(f"http://127.0.0.1:{web}/#/unit/11")
            unit_ms.append(browser.wait_until(
                "document.querySelectorAll('tr[data-key]').length > 1000 && performance.now()"))
        browser.close()
        after = rss_kb(p.pid) / 1024
        p.terminate()
        p.wait()
    finally:
        for s in sims:
            s.stop()

print(f"RSS with the demo topology, no web view: {without:.1f} MB ({without / 16:.2f}x of 16 MB)")
print(f"  web view on, no page open: {idle:.1f} MB ({idle / 16:.2f}x of 16; {idle / without:.2f}x without)")
print(f"  10 pages open (unit 227's first 40 rows, overview, writes, ESS): {open10:.1f} MB "
      f"({open10 / 16:.2f}x of 16)")
print(f"  10 pages open on unit 11 ({big} registers, the largest table): {open10_big:.1f} MB "
      f"({open10_big / 16:.2f}x of 16)")
print(f"  after the Chromium loads below: {after:.1f} MB ({after / 16:.2f}x of 16)")
print(f"first load of the overview, navigation to load event, {loads} loads, cache off: median "
      f"{statistics.median(load_ms):.0f} ms ({min(load_ms):.0f}-{max(load_ms):.0f}; "
      f"{statistics.median(load_ms) / 200:.2f}x of 200 ms)")
print(f"  until its live values are painted: median {statistics.median(live_ms):.0f} ms "
      f"({min(live_ms):.0f}-{max(live_ms):.0f}; {statistics.median(live_ms) / 200:.2f}x of 200 ms)")
print(f"unit 11's table ({big} rows) painted: median {statistics.median(unit_ms):.0f} ms "
      f"({min(unit_ms):.0f}-{max(unit_ms):.0f})")
