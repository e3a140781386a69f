"""A mixed site: two MK3s, an Xcom-LAN (UDP) and an Xcom-232i (pty) in one bridge on one event
loop. Every unit serves; when one link goes silent the others neither slow down nor stop."""
import os
import struct
import tempfile
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import Bridge, SOURCE, free_port
from sim_harness import Simulator, wait_until

MAPS = os.path.join(SOURCE, "maps")


class MixedSiteTest(unittest.TestCase):
    def test_one_silent_link_does_not_hold_up_the_others(self):
        with tempfile.TemporaryDirectory(prefix="vxb-mixed-") as tmp:
            a, b, x = (os.path.join(tmp, n) for n in ("mk3a", "mk3b", "xcom232"))
            moxa, ours = free_port(), free_port()
            sims = [Simulator("vebus", "--pty", a, "--latency", "10"),
                    Simulator("vebus", "--pty", b, "--latency", "10"),
                    Simulator("xcom", "--udp", f"127.0.0.1:{moxa}", "--udp-dest", f"127.0.0.1:{ours}", "--latency", "20"),
                    Simulator("xcom", "--pty", x, "--latency", "20")]
            bridge = Bridge(
                "modbus: {listen: 127.0.0.1:0}\ndevices:\n"
                f"  house: {{driver: vebus, port: {a}, offline_after: 2, silence: 1}}\n"
                f"  shed: {{driver: vebus, port: {b}}}\n"
                f"  lan: {{driver: xcom, transport: {{udp: {{remote: 127.0.0.1:{moxa}, local: 127.0.0.1:{ours}}}}}, fast: 0.5}}\n"
                f"  rs232: {{driver: xcom, transport: {{serial: {{port: {x}}}}}, fast: 0.5}}\n"
                "units:\n"
                f"  - {{unit_id: 227, device: house, map: {MAPS}/victron-gx/vebus.yaml}}\n"
                f"  - {{unit_id: 228, device: shed, map: {MAPS}/victron-gx/vebus.yaml}}\n"
                f"  - {{unit_id: 11, device: lan, address: 101, map: {MAPS}/studer-xcom485i/xtender.yaml}}\n"
                f"  - {{unit_id: 111, device: rs232, address: 101, map: {MAPS}/studer-xcom485i/xtender.yaml}}\n")
            c = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
            try:
                self.assertTrue(c.connect())

                def volts(unit):
                    if unit in (227, 228):
                        rr = c.read_holding_registers(26, 1, slave=unit)
                        return None if rr.isError() or rr.registers[0] == 0 else rr.registers[0] / 100
                    rr = c.read_input_registers(0, 2, slave=unit)
                    v = None if rr.isError() else struct.unpack(">f", struct.pack(">HH", *rr.registers))[0]
                    return None if v is None or v != v else v

                for unit in (227, 228, 11, 111):
                    self.assertTrue(wait_until(lambda: volts(unit), 15), f"unit {unit} never served")
                sims[0].control("silent on")  # the house Multi stops answering
                t_end = time.monotonic() + 3
                worst = 0.0
                while time.monotonic() < t_end:
                    for unit in (228, 11, 111):
                        t0 = time.monotonic()
                        self.assertIsNotNone(volts(unit), f"unit {unit} lost its values")
                        worst = max(worst, time.monotonic() - t0)
                    time.sleep(0.05)
                self.assertLess(worst, 0.1)  # reads never wait for a device, silent or not
                self.assertTrue(wait_until(lambda: c.read_holding_registers(26, 1, slave=227).isError(), 5))
                self.assertEqual(c.read_holding_registers(26, 1, slave=227).exception_code, 0x0A)
                sims[0].control("silent off")
                self.assertTrue(wait_until(lambda: volts(227), 15))
            finally:
                c.close()
                self.assertEqual(bridge.stop(), 0)
                for s in sims:
                    s.stop()


if __name__ == "__main__":
    unittest.main()
