"""The MK3 simulator seen from a plain serial client: an unsolicited version frame about every
second while idle (as a real MK3 sends), answers with 2400-baud timing."""
import os
import select
import tempfile
import termios
import time
import unittest

from sim_harness import Simulator


def frames(buf):
    out, i = [], 0
    while i + 2 <= len(buf):
        n = (buf[i] & 0x7F) + 2
        if i + n > len(buf):
            break
        if sum(buf[i:i + n]) & 0xFF == 0:
            out.append(bytes(buf[i:i + n]))
            i += n
        else:
            i += 1
    return out


class VebusSimTest(unittest.TestCase):
    def test_idle_version_frames_and_byte_timing(self):
        with tempfile.TemporaryDirectory() as tmp:
            link = os.path.join(tmp, "mk3")
            sim = Simulator("vebus", "--pty", link, "--latency", "20")
            fd = os.open(link, os.O_RDWR | os.O_NOCTTY)
            try:
                attrs = termios.tcgetattr(fd)
                attrs[3] &= ~(termios.ICANON | termios.ECHO)
                termios.tcsetattr(fd, termios.TCSANOW, attrs)
                buf = b""
                t_end = time.monotonic() + 3.2
                while time.monotonic() < t_end:
                    if select.select([fd], [], [], 0.1)[0]:
                        buf += os.read(fd, 256)
                versions = [f for f in frames(buf) if f[1] == 0xFF and f[2] == ord("V")]
                self.assertGreaterEqual(len(versions), 2)   # ~1 per idle second
                self.assertLessEqual(len(versions), 4)
                os.write(fd, bytes([0x02, 0xFF, 0x4C, 0xB3]))  # 'L'
                t0 = time.monotonic()
                reply = b""
                while time.monotonic() - t0 < 1 and not any(f[2:3] == b"L" for f in frames(reply)):
                    if select.select([fd], [], [], 0.05)[0]:
                        reply += os.read(fd, 256)
                dt = time.monotonic() - t0
                self.assertTrue(any(f[2:3] == b"L" for f in frames(reply)))
                # 4 bytes out + 20 ms + 10 bytes back at 4.17 ms per byte = ~78 ms.
                self.assertGreater(dt, 0.07)
                self.assertLess(dt, 0.3)
            finally:
                os.close(fd)
                sim.stop()


if __name__ == "__main__":
    unittest.main()
