"""SIGHUP reload: a changed config applies without dropping Modbus clients or device links that
did not change; a broken config is refused with its errors and the old one keeps running."""
import os
import signal
import tempfile
import time
import unittest

from pymodbus.client import ModbusTcpClient

from bridge_harness import Bridge, EXAMPLE_MAP, SOURCE
from sim_harness import Simulator, wait_until

GX = os.path.join(SOURCE, "maps", "victron-gx", "vebus.yaml")


def config(link, extra_unit="", mem_options=""):
    return ("modbus: {listen: 127.0.0.1:0}\n"
            f"devices:\n  mem: {{driver: static{mem_options}}}\n  multi: {{driver: vebus, port: {link}}}\n"
            f"units:\n  - {{unit_id: 1, device: mem, map: {EXAMPLE_MAP}}}\n"
            f"  - {{unit_id: 227, device: multi, map: {GX}}}\n" + extra_unit)


class ReloadTest(unittest.TestCase):
    def test_reload(self):
        with tempfile.TemporaryDirectory(prefix="vxb-reload-") as tmp:
            link = os.path.join(tmp, "mk3")
            sim = Simulator("vebus", "--pty", link, "--latency", "5", "--no-byte-timing")
            bridge = Bridge(config(link))
            path = bridge.config_path
            try:
                self.assertTrue(bridge.wait_for("VE.Bus up", 10))
                c = ModbusTcpClient("127.0.0.1", port=bridge.port, timeout=3)
                self.assertTrue(c.connect())
                self.assertFalse(c.write_register(100, 42, slave=1).isError())
                self.assertEqual(c.read_holding_registers(10, 1, slave=2).exception_code, 0x0B)

                # Add a unit; nothing else changes.
                with open(path, "w") as f:
                    f.write(config(link, f"  - {{unit_id: 2, device: mem, map: {EXAMPLE_MAP}}}\n"))
                bridge.proc.send_signal(signal.SIGHUP)
                line = bridge.wait_for("reloaded:", 5)
                self.assertIn("devices kept 2, started 0, stopped 0", line)  # mem, multi
                self.assertIn("Modbus server kept with its connections", line)
                rr = c.read_holding_registers(10, 1, slave=2)  # the same connection
                self.assertFalse(rr.isError(), rr)
                self.assertEqual(rr.registers, [2304])
                self.assertEqual(c.read_holding_registers(100, 1, slave=1).registers, [42])  # kept
                self.assertTrue(wait_until(lambda: not c.read_holding_registers(26, 1, slave=227).isError()
                                           and c.read_holding_registers(26, 1, slave=227).registers[0] > 0, 5))
                self.assertIsNone(bridge.wait_for("re-initialising VE.Bus|VE.Bus up", 1))  # link untouched

                # A broken config is refused with its position; the old one keeps serving.
                with open(path, "w") as f:
                    f.write(config(link) + "  - {unit_id: 3, device: nope, map: x.yaml}\n")
                bridge.proc.send_signal(signal.SIGHUP)
                self.assertTrue(bridge.wait_for("reload refused", 5))
                self.assertTrue(bridge.wait_for(r"site\.yaml:\d+:\d+: no device named 'nope'", 2))
                self.assertFalse(c.read_holding_registers(10, 1, slave=2).isError())

                # A changed device is replaced; the others stay.
                with open(path, "w") as f:
                    f.write(config(link, mem_options=", latency: 0.05"))
                bridge.proc.send_signal(signal.SIGHUP)
                line = bridge.wait_for("reloaded:", 5)
                self.assertIn("started 1, stopped 1", line)
                self.assertEqual(c.read_holding_registers(10, 1, slave=2).exception_code, 0x0B)  # unit 2 gone
                t0 = time.monotonic()
                self.assertFalse(c.write_register(100, 7, slave=1).isError())
                self.assertGreater(time.monotonic() - t0, 0.04)  # the new latency
                c.close()
            finally:
                self.assertEqual(bridge.stop(), 0)
                sim.stop()


if __name__ == "__main__":
    unittest.main()
