"""The commissioning view end to end: the real binary's HTTP API and WebSocket driven by plain
clients, the demo's page in headless Chromium, and hostile clients that must leave Modbus
serving undisturbed."""
import json
import os
import re
import resource
import select
import signal
import socket
import subprocess
import threading
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import BIN, Bridge, site_config
from sim_harness import wait_until
from webclient import (OP_BINARY, OP_CLOSE, OP_TEXT, Chromium, WebSocket, chromium_path,
                       get_json, http, raw_exchange)

ARTIFACTS = os.environ.get("VXBRIDGE_ARTIFACT_DIR", os.path.join(os.getcwd(), "artifacts"))


def start_bridge(extra=""):
    b = Bridge(site_config() + "web: {listen: 127.0.0.1:0" + extra + "}\n")
    line = b.wait_for(r"web view on http://127\.0\.0\.1:(\d+)/")
    if not line:
        b.stop()
        raise RuntimeError("no web view line")
    b.web = int(re.search(r":(\d+)/", line).group(1))
    return b


class ModbusWatch:
    """Reads unit 1 over Modbus in a thread for as long as it runs: the worst latency seen and
    any failure - what a SCADA poller would notice while the web view is being abused."""

    def __init__(self, port):
        self.port, self.worst, self.errors, self.reads = port, 0.0, [], 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        c = ModbusTcpClient("127.0.0.1", port=self.port, timeout=3)
        c.connect()
        while not self.stop_flag.is_set():
            t = time.monotonic()
            rr = c.read_holding_registers(10, 2, slave=1)
            self.worst = max(self.worst, time.monotonic() - t)
            if rr.isError() or rr.registers != [2304, (-125) & 0xFFFF]:
                self.errors.append(str(rr))
            self.reads += 1
        c.close()

    def finish(self):
        self.stop_flag.set()
        self.thread.join(10)
        return self


class WebApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bridge = start_bridge()

    @classmethod
    def tearDownClass(cls):
        cls.bridge.stop()

    def modbus(self):
        c = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=3)
        self.assertTrue(c.connect())
        self.addCleanup(c.close)
        return c

    def test_page_and_assets_are_compiled_in(self):
        status, headers, body = http(self.bridge.web, "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn(b'<script src="/app.js">', body)
        self.assertIn("default-src 'self'", headers["content-security-policy"])
        for path, kind in (("/app.js", "text/javascript"), ("/app.css", "text/css")):
            status, headers, body = http(self.bridge.web, path)
            self.assertEqual((status, headers["content-type"].split(";")[0]), (200, kind))
            self.assertGreater(len(body), 500)
        # HEAD: the GET's length, no body.
        status, headers, body = http(self.bridge.web, "/app.js", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        self.assertEqual(int(headers["content-length"]), len(http(self.bridge.web, "/app.js")[2]))
        self.assertEqual(http(self.bridge.web, "/nothing-here")[0], 404)

    def test_overview_names_site_units_and_links(self):
        o = get_json(self.bridge.web, "/api/overview")
        self.assertEqual(o["site"]["file"], self.bridge.config_path)
        self.assertTrue(o["site"]["check"].startswith("ok"), o["site"]["check"])
        self.assertEqual([u["id"] for u in o["units"]], [1, 2, 3, 247])
        self.assertEqual({u["id"]: u["online"] for u in o["units"]}[3], False)
        links = {d["name"]: d for d in o["devices"]}
        self.assertEqual(set(links), {"mem", "slow", "gone"})
        self.assertFalse(links["gone"]["up"])
        self.assertTrue(links["mem"]["up"])
        self.assertEqual(o["modbus"]["endpoints"], [f"TCP 127.0.0.1:{self.bridge.port}"])
        before = o["modbus"]["requests"]
        self.modbus().read_holding_registers(0, 6, slave=1)
        self.assertGreater(get_json(self.bridge.web, "/api/overview")["modbus"]["requests"], before)

    def test_register_table_shows_what_modbus_reads(self):
        u = get_json(self.bridge.web, "/api/units/1")
        self.assertEqual((u["map"], u["device"]), ("static-example", "mem"))
        rows = {r["name"]: r for r in u["rows"]}
        v = rows["ac_voltage"]
        self.assertEqual((v["address"], v["type"], v["unit"], v["value"], v["words"]),
                         (10, "u16", "V", 230.4, [2304]))
        self.assertEqual(v["source"], "value:230.4")
        self.assertEqual(rows["mode"]["text"], "on")
        self.assertEqual(rows["missing_u16"]["words"], [0xFFFF])
        self.assertFalse(rows["missing_u16"]["present"])
        c = self.modbus()
        for r in u["rows"]:
            if r["type"] == "pad" or r["exception"] or r["table"] != "holding":
                continue
            rr = c.read_holding_registers(r["address"], r["width"], slave=1)
            self.assertEqual(rr.registers, r["words"], r["name"])
        # The filter: a number matches the address, text a part of the name.
        self.assertEqual([r["name"] for r in get_json(self.bridge.web, "/api/units/1?filter=VOLT")["rows"]],
                         ["ac_voltage"])
        self.assertEqual([r["name"] for r in get_json(self.bridge.web, "/api/units/1?filter=100")["rows"]],
                         ["setpoint"])
        self.assertEqual(http(self.bridge.web, "/api/units/9")[0], 404)
        self.assertEqual(http(self.bridge.web, "/api/units/x1")[0], 400)
        self.assertEqual(http(self.bridge.web, "/api/units/1?filter=%zz")[0], 400)

    def test_writes_show_client_value_outcome_and_latency(self):
        c = self.modbus()
        me = "127.0.0.1:%d" % c.socket.getsockname()[1]
        after = get_json(self.bridge.web, "/api/writes")["count"]
        self.assertFalse(c.write_register(100, (-500) & 0xFFFF, slave=1).isError())
        self.assertTrue(c.write_register(100, 5000, slave=1).isError())        # out of range
        self.assertFalse(c.write_register(100, 7, slave=2).isError())           # 0.3 s device
        self.assertTrue(c.write_register(100, 1, slave=3).isError())            # offline
        w = get_json(self.bridge.web, f"/api/writes?after={after}")["writes"]
        self.assertEqual(len(w), 4, w)
        ok, bad, slow, offline = w
        self.assertEqual((ok["client"], ok["unit"], ok["address"], ok["register"], ok["value"],
                          ok["unit_of_value"], ok["outcome"]),
                         (me, 1, 100, "setpoint", -500, "W", "ok"))
        self.assertEqual(bad["exception"], 3)
        self.assertEqual(slow["exception"], 0)
        self.assertGreaterEqual(slow["latency_ms"], 300)
        self.assertEqual(offline["exception"], 0x0A)
        self.assertEqual(get_json(self.bridge.web, "/api/units/1?filter=setpoint")["rows"][0]["value"], -500)

    def test_the_view_is_read_only(self):
        c = self.modbus()
        before = c.read_holding_registers(100, 1, slave=1).registers
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            for path in ("/api/units/1", "/api/writes", "/"):
                status, headers, _ = http(self.bridge.web, path, method=method,
                                          body=b'{"address":100,"value":1}',
                                          headers={"Content-Type": "application/json"})
                self.assertEqual(status, 405, (method, path))
                self.assertEqual(headers["allow"], "GET, HEAD")
        self.assertEqual(c.read_holding_registers(100, 1, slave=1).registers, before)

    def test_hostile_requests_get_the_right_status(self):
        watch = ModbusWatch(self.bridge.port)
        long_query = "/api/units/1?filter=" + "a" * 3000
        self.assertEqual(http(self.bridge.web, long_query)[0], 414)
        huge = raw_exchange(self.bridge.web, b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(huge.startswith(b"HTTP/1.1 414"), huge[:80])
        fat = raw_exchange(self.bridge.web, b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 +
                           b"\r\n\r\n")
        self.assertTrue(fat.startswith(b"HTTP/1.1 431"), fat[:80])
        junk = raw_exchange(self.bridge.web, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
        self.assertTrue(junk == b"" or junk.startswith(b"HTTP/1.1 400"), junk[:80])
        body = raw_exchange(self.bridge.web, b"POST /api/units/1 HTTP/1.1\r\nHost: x\r\n"
                            b"Content-Length: 100000\r\n\r\n" + b"x" * 2000)
        self.assertTrue(body.startswith(b"HTTP/1.1 413"), body[:80])
        self.assertEqual(http(self.bridge.web, "/api/units/1?" + "&".join(["a=1"] * 300))[0], 200)
        watch.finish()
        self.assertEqual(watch.errors, [])
        self.assertGreater(watch.reads, 0)

    def test_websocket_sends_changed_rows_at_most_twice_a_second(self):
        ws = WebSocket(self.bridge.web)
        self.addCleanup(ws.close)
        ws.send_json({"unit": 1, "keys": ["h100", "h10", "h28"]})
        first = ws.wait_for(lambda m: "rows" in m)
        self.assertEqual({r["key"] for r in first["rows"]}, {"h100", "h10", "h28"})
        c = self.modbus()
        # A client writing back to back for two seconds (hundreds of values): the page gets
        # at most two updates a second, and the last value.
        t0 = time.monotonic()
        value = 1000
        while time.monotonic() - t0 < 2:
            value = 1000 + (value - 999) % 2000
            self.assertFalse(c.write_register(100, value, slave=1).isError())
        updates, last = 0, None
        while True:
            m = ws.wait_for(lambda m: "rows" in m, 3)
            updates += 1
            last = {r["key"]: r for r in m["rows"]}
            if last.get("h100", {}).get("value") == value:
                break
        elapsed = time.monotonic() - t0
        self.assertLessEqual(updates, 2 * elapsed + 1, (updates, elapsed))
        self.assertNotIn("h10", last)  # a constant is sent once
        ws.send_text("{}")  # nothing subscribed: nothing sent
        with self.assertRaises(TimeoutError):
            ws.wait_for(lambda m: "rows" in m, 1.2)

    def test_websocket_topics(self):
        ws = WebSocket(self.bridge.web)
        self.addCleanup(ws.close)
        ws.send_json({"topics": ["overview", "writes"]})
        o = ws.wait_for(lambda m: "overview" in m)["overview"]
        self.assertEqual(len(o["units"]), 4)
        self.modbus().write_register(100, 42, slave=1)
        w = ws.wait_for(lambda m: any(x["value"] == 42 for x in m.get("writes", [])))
        self.assertTrue(w["writes"])

    def test_bad_websocket_input_closes_only_that_page(self):
        watch = ModbusWatch(self.bridge.port)
        ws = WebSocket(self.bridge.web)
        for text in ("not json", "[1,2]", '{"unit": 999}', '{"keys": "h1"}',
                     '{"topics": ["everything"]}', '{"keys": [' + ",".join(['"h1"'] * 600) + "]}"):
            ws.send_text(text)
            m = ws.wait_for(lambda m: m.get("type") == "error")
            self.assertTrue(m["error"])
        ws.send_frame(OP_BINARY, b"\x00\x01")
        self.assertEqual(ws.wait_for(lambda m: m.get("type") == "error")["error"],
                         "messages are JSON text")
        ws.send_json({"unit": 1, "keys": ["h10"]})  # still served after all that
        self.assertEqual(ws.wait_for(lambda m: "rows" in m)["rows"][0]["words"], [2304])
        ws.close()
        # Oversized message, an unmasked client frame, a reserved opcode, RSV bits: closed.
        for send in (lambda w: w.send_text("x" * 100000),
                     lambda w: w.send_frame(OP_TEXT, b"{}", mask=False),
                     lambda w: w.send_frame(0x3, b"{}"),
                     lambda w: w.send_frame(OP_TEXT, b"{}", rsv=4),
                     lambda w: w.sock.sendall(b"\xff" * 64)):
            w = WebSocket(self.bridge.web)
            send(w)
            self.assertTrue(w.closed_by_server(), send)
            w.sock.close()
        self.assertEqual(http(self.bridge.web, "/ws")[0], 404)  # not an upgrade: no page there
        status = raw_exchange(self.bridge.web, b"GET /elsewhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                              b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              b"Sec-WebSocket-Version: 13\r\n\r\n")
        self.assertTrue(status.startswith(b"HTTP/1.1 404"), status[:60])
        watch.finish()
        self.assertEqual(watch.errors, [])


class WebLimitsTest(unittest.TestCase):
    """1,000 connections, slow clients and the allow-list, each on its own bridge."""

    def test_a_thousand_connections_leave_modbus_alone(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard < 1200:
            self.skipTest("needs 1200 file descriptors")
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
        b = start_bridge(", max_connections: 16")
        self.addCleanup(b.stop)
        watch = ModbusWatch(b.port)
        socks = []
        for _ in range(1000):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", b.web))
            socks.append(s)
        # The server keeps at most 16; the others it closes at once.
        def closed_count():
            n = 0
            for s in socks:
                try:
                    if s.recv(1) == b"":
                        n += 1
                except BlockingIOError:
                    pass
                except OSError:
                    n += 1
            return n
        self.assertTrue(wait_until(lambda: closed_count() >= 1000 - 16, 20), closed_count())
        for s in socks:
            s.close()
        # Pages load again once the flood is gone.
        self.assertTrue(wait_until(lambda: http(b.web, "/api/units")[0] == 200, 10))
        watch.finish()
        self.assertEqual(watch.errors, [])
        self.assertLess(watch.worst, 1.0)

    def test_slow_clients_are_dropped_and_modbus_keeps_serving(self):
        b = start_bridge()
        self.addCleanup(b.stop)
        watch = ModbusWatch(b.port)
        # Slow loris: a request that never ends is dropped after the request timeout (15 s).
        loris = socket.create_connection(("127.0.0.1", b.web))
        loris.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        t0 = time.monotonic()
        # Pages that never read what they subscribed to (a tiny receive buffer): one message in
        # flight each, no queue; Modbus unaffected.
        readers = []
        for _ in range(10):
            w = WebSocket(b.web, rcvbuf=1024)
            w.send_json({"unit": 1, "keys": ["h0", "h10", "h100"], "topics": ["overview", "writes"]})
            readers.append(w)
        loris.settimeout(25)
        try:
            self.assertEqual(loris.recv(100), b"")
        except ConnectionResetError:
            pass
        self.assertLess(time.monotonic() - t0, 20)
        loris.close()
        status, _, _ = http(b.web, "/api/overview")
        self.assertEqual(status, 200)
        watch.finish()
        self.assertEqual(watch.errors, [])
        self.assertLess(watch.worst, 1.0)
        for w in readers:
            w.sock.close()

    def test_the_allow_list_applies(self):
        b = Bridge(site_config("  allow: [10.0.0.0/8]\n") + "web: {listen: 127.0.0.1:0}\n")
        self.addCleanup(b.stop)
        line = b.wait_for(r"web view on http://127\.0\.0\.1:(\d+)/")
        port = int(re.search(r":(\d+)/", line).group(1))
        self.assertEqual(raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", timeout=3), b"")


class DemoPageTest(unittest.TestCase):
    """`vxbridge demo` with its web view, opened in headless Chromium."""

    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen([BIN, "demo", "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0"],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
        cls.out = ""
        end = time.monotonic() + 20
        while "Ctrl-C stops" not in cls.out and time.monotonic() < end:
            if select.select([cls.proc.stdout], [], [], 1)[0]:
                cls.out += cls.proc.stdout.readline()
        m = re.search(r"web view: http://127\.0\.0\.1:(\d+)/", cls.out)
        t = re.search(r"Modbus TCP on 127\.0\.0\.1:(\d+)", cls.out)
        if not (m and t):
            cls.tearDownClass()
            raise RuntimeError("demo did not start:\n" + cls.out)
        cls.web, cls.port = int(m.group(1)), int(t.group(1))

    @classmethod
    def tearDownClass(cls):
        cls.proc.send_signal(signal.SIGTERM)
        try:
            cls.proc.wait(10)
        finally:
            cls.proc.stdin.close()
            cls.proc.stdout.close()

    def control(self, line):
        """A control line for the demo's simulators ("multi soc 30")."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def battery_v(self):
        c = ModbusTcpClient("127.0.0.1", port=self.port, timeout=3)
        c.connect()
        try:
            rr = c.read_holding_registers(26, 1, slave=227)
            return None if rr.isError() or rr.registers[0] == 0xFFFF else rr.registers[0] / 100
        finally:
            c.close()

    def test_ess_api_and_history(self):
        def regulating():
            loops = get_json(self.web, "/api/ess")["loops"]
            return loops and loops[0]["figures"]["ess_state"] == 1 and loops[0]
        loop = wait_until(regulating, 30)
        self.assertTrue(loop, get_json(self.web, "/api/ess"))
        f = loop["figures"]
        self.assertEqual((loop["name"], f["hub4_mode"], f["ess_meter_in_use"]), ("multi", 1, 1))
        self.assertEqual(f["ess_target_w"], 50)
        self.assertEqual(f["ess_max_charge_w"], 3000)
        self.assertIsNotNone(f["ess_setpoint_l1_w"])
        n = len(get_json(self.web, "/api/ess/history")["loops"][0]["history"])
        self.assertTrue(wait_until(
            lambda: len(get_json(self.web, "/api/ess/history")["loops"][0]["history"]) >= n + 2, 5))

    @unittest.skipUnless(chromium_path(), "needs Debian's chromium")
    def test_browser_shows_live_battery_voltage_as_modbus_reads_it(self):
        browser = Chromium()
        self.addCleanup(browser.close)
        browser.navigate(f"http://127.0.0.1:{self.web}/#/unit/227")
        row = "document.querySelector('tr[data-key=\"h26\"]')"
        cell = row + ".querySelector('td.value')"
        # Live rows are the ones on screen: scroll the battery voltage into view, as a user would.
        browser.wait_until(f"document.getElementById('live').textContent === 'live' && {row}")
        browser.evaluate(f"{row}.scrollIntoView()")
        browser.wait_until(f"{cell}.dataset.value !== ''")

        def shown():
            v = browser.evaluate(f"{cell}.dataset.value")
            return float(v) if v else None

        # What the page shows is what Modbus reads (both move with the plant: wait until equal).
        self.assertTrue(wait_until(lambda: shown() == self.battery_v(), 10),
                        (shown(), self.battery_v()))
        before = shown()
        self.control("multi soc 25")
        self.assertTrue(wait_until(lambda: shown() is not None and abs(shown() - before) > 0.3, 15),
                        (before, shown()))
        self.assertTrue(wait_until(lambda: shown() == self.battery_v(), 10),
                        (shown(), self.battery_v()))
        os.makedirs(ARTIFACTS, exist_ok=True)
        browser.screenshot(os.path.join(ARTIFACTS, "web-unit-227.png"))
        # The other pages render their live parts too.
        browser.evaluate("location.hash = '#/ess'")  # same page: no load event
        browser.wait_until("document.getElementById('ess-state') && "
                           "document.getElementById('ess-state').textContent === 'regulating'", 30)
        browser.screenshot(os.path.join(ARTIFACTS, "web-ess.png"))
        browser.evaluate("location.hash = '#/'")
        browser.wait_until("document.querySelectorAll('tr[data-device]').length === 4")
        browser.screenshot(os.path.join(ARTIFACTS, "web-overview.png"))


if __name__ == "__main__":
    unittest.main()
