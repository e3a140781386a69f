"""Runs `vxbridge sim ...` with a control pipe on stdin for end-to-end tests."""
import os
import select
import signal
import subprocess
import time

from bridge_harness import BIN


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
