"""Runs `vxbridge sim ...` with a control pipe on stdin for end-to-end tests."""
import os
import select
import signal
import socket
import subprocess
import time

from bridge_harness import BIN, free_port


class Simulator:
    def __init__(self, *args):
        self.proc = subprocess.Popen([BIN, "sim", *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.ready = self.readline(10)
        if not self.ready:
            self.proc.kill()
            raise RuntimeError("simulator did not start")

    def readline(self, timeout=5.0):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        return self.proc.stdout.readline().strip() if ready else ""

    def control(self, line):
        """Sends a control line; returns the answer as a dict of key=value."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.readline()
        assert answer.startswith("ok"), answer
        return dict(kv.split("=", 1) for kv in answer.split()[1:])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=5)
        finally:
            for f in (self.proc.stdin, self.proc.stdout):
                f.close()


def wait_until(predicate, timeout, interval=0.1):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def xcom_link(kind, tmp):
    """The simulator's arguments and the bridge's `transport:` for an Xcom link of `kind`:
    "udp" (an Xcom-LAN in UDP mode), "serial" (Xcom-232i, 38400 8E1), "serial-lan" (115200 8N1,
    CR LF), "tcp-server" (the MOXA dials the bridge), "tcp-client" (the bridge dials the MOXA)."""
    if kind == "udp":
        moxa, ours = free_port(), free_port()
        return (("--udp", f"127.0.0.1:{moxa}", "--udp-dest", f"127.0.0.1:{ours}"),
                f"{{udp: {{remote: 127.0.0.1:{moxa}, local: 127.0.0.1:{ours}}}}}")
    if kind == "serial":
        link = os.path.join(tmp, "xcom232")
        return ("--pty", link), f"{{serial: {{port: {link}, baud: 38400, parity: even}}}}"
    if kind == "serial-lan":
        link = os.path.join(tmp, "xcomlan")
        return (("--pty", link, "--lan"),
                f"{{serial: {{port: {link}, baud: 115200, parity: none, crlf: true}}}}")
    port = free_port(socket.SOCK_STREAM)
    if kind == "tcp-server":
        return ("--tcp-connect", f"127.0.0.1:{port}"), f"{{tcp_server: {{listen: 127.0.0.1:{port}}}}}"
    if kind == "tcp-client":
        return ("--tcp-listen", f"127.0.0.1:{port}"), f"{{tcp_client: {{connect: 127.0.0.1:{port}}}}}"
    raise ValueError(kind)
