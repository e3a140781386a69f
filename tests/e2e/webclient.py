"""HTTP, WebSocket and Chromium (DevTools protocol) clients for the web view's tests, on the
standard library only: a hand-made WebSocket client can also send what a browser never would
(bad frames, oversized messages), and the DevTools protocol is itself a WebSocket."""
import base64
import json
import os
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import time
import urllib.request

OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 1, 2, 8, 9, 10


def http(port, path, method="GET", headers=None, body=None, timeout=5.0):
    """One request on a fresh connection: (status, headers, body bytes)."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def get_json(port, path):
    status, _, body = http(port, path)
    if status != 200:
        raise AssertionError(f"GET {path}: HTTP {status}: {body[:200]!r}")
    return json.loads(body)


def raw_exchange(port, data, timeout=5.0):
    """Sends raw bytes and returns what comes back until the server closes (or `timeout`)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
        return out
    finally:
        s.close()


class WebSocket:
    """A minimal RFC 6455 client (masking, fragmentation, ping/pong, 64-bit lengths)."""

    def __init__(self, port, path="/ws", timeout=5.0, host="127.0.0.1", rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect((host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                           "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during the handshake: " + repr(self.buf))
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.status = int(head.split(b" ", 2)[1])
        if self.status != 101:
            raise ConnectionError("handshake refused: " + head.decode(errors="replace"))

    def send_frame(self, opcode, payload, fin=True, mask=True, rsv=0):
        head = bytes([(0x80 if fin else 0) | rsv << 4 | opcode])
        n = len(payload)
        bit = 0x80 if mask else 0
        if n < 126:
            head += bytes([bit | n])
        elif n < 65536:
            head += bytes([bit | 126]) + struct.pack("!H", n)
        else:
            head += bytes([bit | 127]) + struct.pack("!Q", n)
        if mask:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            head += key
        self.sock.sendall(head + payload)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode())

    def send_json(self, obj):
        self.send_text(json.dumps(obj))

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("closed by the server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self, timeout=5.0):
        """The next whole message: (opcode, payload). Pings are answered on the way."""
        self.sock.settimeout(timeout)
        message, first_op = b"", None
        while True:
            b0, b1 = self._read(2)
            op, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8))[0]
            payload = self._read(n)
            if op == OP_PING:
                self.send_frame(OP_PONG, payload)
                continue
            if op == OP_CLOSE:
                return OP_CLOSE, payload
            if op != 0:
                first_op = op
            message += payload
            if b0 & 0x80:
                return first_op, message

    def recv_json(self, timeout=5.0):
        op, payload = self.recv(timeout)
        if op == OP_CLOSE:
            raise ConnectionError("closed: " + repr(payload))
        return json.loads(payload)

    def wait_for(self, predicate, timeout=10.0):
        """Messages until predicate(msg) is true; returns that message."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching message")
            try:
                m = self.recv_json(left)
            except socket.timeout:
                raise TimeoutError("no matching message")
            if predicate(m):
                return m

    def closed_by_server(self, timeout=5.0):
        """True when the server closes (a close frame or EOF) within `timeout`."""
        end = time.monotonic() + timeout
        try:
            while time.monotonic() < end:
                op, _ = self.recv(max(0.01, end - time.monotonic()))
                if op == OP_CLOSE:
                    return True
        except (ConnectionError, OSError):
            return True
        return False

    def close(self):
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", 1000))
        except OSError:
            pass
        self.sock.close()


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium:
    """Headless Chromium driven over the DevTools protocol: navigate, evaluate, screenshot."""

    def __init__(self):
        exe = chromium_path()
        if not exe:
            raise FileNotFoundError("chromium")
        self.profile = tempfile.TemporaryDirectory(prefix="vxb-chromium-")
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--disable-sync",
             "--disable-dev-shm-usage", f"--remote-debugging-port={port}",
             "--remote-debugging-address=127.0.0.1", f"--user-data-dir={self.profile.name}",
             "--window-size=1280,900", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Chromium says on stderr when its DevTools endpoint listens; then a page of our own.
        said, end = b"", time.monotonic() + 30
        while b"DevTools listening on" not in said:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.proc.stderr], [], [], left)[0]:
                self.close()
                raise RuntimeError("chromium did not start: " + said.decode(errors="replace"))
            chunk = os.read(self.proc.stderr.fileno(), 4096)
            if not chunk:
                self.close()
                raise RuntimeError("chromium exited: " + said.decode(errors="replace"))
            said += chunk
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
        with urllib.request.urlopen(req, timeout=10) as r:
            target = json.load(r)
        path = "/" + target["webSocketDebuggerUrl"].split("/", 3)[3]
        self.ws = WebSocket(port, path, timeout=30)
        self.next_id = 0

    def _drain_stderr(self):
        """Chromium logs to stderr all along: read it so that it never blocks on a full pipe."""
        try:
            while os.read(self.proc.stderr.fileno(), 65536):
                pass
        except OSError:
            pass

    def call(self, method, params=None, timeout=30.0):
        self.next_id += 1
        my_id = self.next_id
        self.ws.send_json({"id": my_id, "method": method, "params": params or {}})
        m = self.ws.wait_for(lambda m: m.get("id") == my_id, timeout)
        if "error" in m:
            raise RuntimeError(f"{method}: {m['error']}")
        return m.get("result", {})

    def evaluate(self, expression, timeout=30.0):
        r = self.call("Runtime.evaluate",
                      {"expression": expression, "returnByValue": True, "awaitPromise": True},
                      timeout)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def navigate(self, url):
        self.call("Page.enable")
        self.call("Page.navigate", {"url": url})
        self.ws.wait_for(lambda m: m.get("method") == "Page.loadEventFired", 30)

    def wait_until(self, expression, timeout=15.0):
        """Waits in the page until `expression` is truthy (checked every 50 ms, up to
        `timeout`); returns its value."""
        script = ("new Promise(done => { const end = performance.now() + %d;"
                  " (function check() { let v; try { v = (%s); } catch (e) { v = undefined; }"
                  " if (v || performance.now() > end) done(v || null); else setTimeout(check, 50);"
                  " })(); })" % (int(timeout * 1000), expression))
        v = self.evaluate(script, timeout + 10)
        if not v:
            raise TimeoutError("never true in the page: " + expression)
        return v

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            if getattr(self, "ws", None):
                self.ws.sock.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.profile.cleanup()
