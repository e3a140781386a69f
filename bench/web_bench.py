#!/usr/bin/python3
"""The web view's costs with the demo (issue 17): RSS with the view idle and with 10 pages open
(target <= 16 MB), and the page's first load in headless Chromium on loopback (target <= 200 ms):
navigation to load event, and until the first live values are painted.
Usage: bench/web_bench.py [BINARY=build-release/vxbridge] [LOADS=7]"""
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from webclient import Chromium  # noqa: E402

binary = sys.argv[1] if len(sys.argv) > 1 else "build-release/vxbridge"
loads = int(sys.argv[2]) if len(sys.argv) > 2 else 7


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


demo = subprocess.Popen([binary, "demo", "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0"],
                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                        text=True)
out = ""
while "Ctrl-C stops" not in out:
    if select.select([demo.stdout], [], [], 20)[0]:
        out += demo.stdout.readline()
    else:
        sys.exit("demo did not start:\n" + out)
web = int(re.search(r"web view: http://127\.0\.0\.1:(\d+)/", out).group(1))
try:
    time.sleep(15)  # start-up done, malloc_trim run, polling in steady state
    idle = rss_kb(demo.pid)
    pages = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "pages.py"),
                              str(web), "10", "11", "40"], stdout=subprocess.PIPE, text=True)
    pages.stdout.readline()
    time.sleep(20)
    open_10 = rss_kb(demo.pid)
    pages.terminate()
    pages.wait()

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
    browser.close()
finally:
    demo.send_signal(signal.SIGINT)
    demo.wait(10)

print(f"RSS, demo with the web view idle: {idle / 1024:.1f} MB ({idle / 1024 / 16:.2f}x of 16 MB)")
print(f"RSS, demo with 10 pages open (unit 11's first 40 rows, overview, writes, ESS): "
      f"{open_10 / 1024:.1f} MB ({open_10 / 1024 / 16:.2f}x of 16 MB)")
print(f"first load, navigation to load event, {loads} loads, cache off: median "
      f"{statistics.median(load_ms):.0f} ms (min {min(load_ms):.0f}, max {max(load_ms):.0f}; "
      f"{statistics.median(load_ms) / 200:.2f}x of 200 ms)")
print(f"first load until the overview's live values are painted: median "
      f"{statistics.median(live_ms):.0f} ms (min {min(live_ms):.0f}, max {max(live_ms):.0f}; "
      f"{statistics.median(live_ms) / 200:.2f}x of 200 ms)")
