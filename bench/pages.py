#!/usr/bin/python3
"""Keeps N commissioning-view pages open against a bridge, as browsers would: each loads the
overview and a unit table over HTTP, then subscribes over the WebSocket to the overview, the
writes, the ESS loop and the rows a screen shows, and reads every update until killed.
Usage: bench/pages.py PORT [N=10] [UNIT=1] [ROWS=40]"""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from webclient import WebSocket, get_json  # noqa: E402

port = int(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 10
unit = int(sys.argv[3]) if len(sys.argv) > 3 else 1
rows = int(sys.argv[4]) if len(sys.argv) > 4 else 40


def page():
    get_json(port, "/api/overview")
    keys = [r["key"] for r in get_json(port, f"/api/units/{unit}")["rows"][:rows]]
    ws = WebSocket(port, timeout=30)
    ws.send_json({"unit": unit, "keys": keys, "topics": ["overview", "writes", "ess"]})
    while True:
        ws.recv(60)


threads = [threading.Thread(target=page, daemon=True) for _ in range(n)]
for t in threads:
    t.start()
print(f"{n} pages open", flush=True)
threading.Event().wait()
