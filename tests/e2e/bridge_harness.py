"""Starts the real vxbridge binary for end-to-end tests and stops it with SIGTERM."""
import os
import re
import select
import socket
import signal
import subprocess
import tempfile
import time

BIN = os.environ.get("VXBRIDGE_BIN", "build/vxbridge")
SOURCE = os.environ.get("VXBRIDGE_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLE_MAP = os.path.join(SOURCE, "maps", "examples", "static-example.yaml")


def free_port(kind=socket.SOCK_DGRAM):
    """A loopback port nobody uses now (UDP by default)."""
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def site_config(modbus_extra=""):
    return (
        "modbus:\n  listen: 127.0.0.1:0\n  write_timeout: 1\n" + modbus_extra +
        "devices:\n  mem: {driver: static}\n  slow: {driver: static, latency: 0.3}\n"
        "  gone: {driver: static, offline: true}\n"
        f"units:\n  - {{unit_id: 1, device: mem, map: {EXAMPLE_MAP}}}\n"
        f"  - {{unit_id: 2, device: slow, map: {EXAMPLE_MAP}}}\n"
        f"  - {{unit_id: 3, device: gone, map: {EXAMPLE_MAP}}}\n")


class Bridge:
    """`vxbridge run` on a free loopback port; `port` is where it listens."""

    def __init__(self, config_text):
        self.dir = tempfile.TemporaryDirectory(prefix="vxb-py-")
        path = os.path.join(self.dir.name, "site.yaml")
        self.config_path = path

        # Settings a restart keeps go to the test's own directory, never /var/lib/vxbridge.
        if not re.search(r"^state:", config_text, re.M):
            config_text += f"state: {{dir: {self.dir.name}/state}}\n"
        with open(path, "w") as f:
            f.write(config_text)
        # VXB_EXTRA_ARGS=-v runs every bridge of a test with debug logging (when chasing a failure).
        extra = os.environ.get("VXB_EXTRA_ARGS", "").split()
        self.proc = subprocess.Popen([BIN, "run", "-c", path, "--listen", "127.0.0.1:0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        self.output = ""
        self.log = ""  # everything the bridge printed so far (never trimmed)
        line = self.wait_for(r"listening on 127\.0\.0\.1:(\d+)")
        if not line:
            self.proc.kill()
            rest = self.proc.stdout.read().decode(errors="replace")
            raise RuntimeError("bridge did not start:\n" + self.output + rest)

        self.port = int(re.search(r":(\d+)\s*$", line).group(1))

    def wait_for(self, pattern, timeout=10.0):
        end = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while True:
            for line in self.output.splitlines():
                if re.search(pattern, line):
                    self.output = self.output[self.output.index(line) + len(line):]
                    return line
            left = end - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                return None
            self.output += chunk.decode(errors="replace")
            self.log += chunk.decode(errors="replace")

    def drain(self, quiet=0.3):
        """Reads what the bridge printed until it is quiet for `quiet` s; returns the whole log."""
        fd = self.proc.stdout.fileno()
        while select.select([fd], [], [], quiet)[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            self.output += chunk.decode(errors="replace")
            self.log += chunk.decode(errors="replace")
        return self.log


    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=5)
        finally:
            self.proc.stdout.close()
            self.dir.cleanup()
