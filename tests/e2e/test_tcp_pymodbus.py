"""End-to-end with pymodbus 3.0 (request objects of 3.0.0 take unit=, the client methods slave=) 
(the client Home Assistant and many scripts use): the real
vxbridge binary serving the static example map."""
import threading
import time
import unittest

from pymodbus.client import ModbusTcpClient
from pymodbus.constants import Endian
from pymodbus.diag_message import ReturnQueryDataRequest
from pymodbus.mei_message import ReadDeviceInformationRequest
from pymodbus.payload import BinaryPayloadBuilder, BinaryPayloadDecoder

from bridge_harness import Bridge, site_config
from sim_harness import wait_until
from site_fixture import SiteCase


class PymodbusTest(SiteCase):
    @classmethod
    def site(cls):
        return site_config("  max_connections: 300\n")

    def new_client(self):
        c = ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=3)
        self.assertTrue(c.connect())
        self.addCleanup(c.close)
        return c

    def test_reads_every_type(self):
        rr = self.new_client().read_holding_registers(0, 28, slave=1)
        self.assertFalse(rr.isError(), rr)
        d = BinaryPayloadDecoder.fromRegisters(rr.registers, byteorder=Endian.Big, wordorder=Endian.Big)
        self.assertEqual(d.decode_string(12).rstrip(b"\0"), b"VXB-0001")
        self.assertEqual(d.decode_32bit_uint(), 10203)
        d.skip_bytes(4)                                   # pad
        self.assertAlmostEqual(d.decode_16bit_uint() / 10, 230.4)
        self.assertAlmostEqual(d.decode_16bit_int() / 10, -12.5)
        self.assertEqual(d.decode_64bit_uint(), 123456789012)
        self.assertEqual(d.decode_32bit_int(), -1500)
        self.assertAlmostEqual(d.decode_32bit_float(), 21.5)
        self.assertAlmostEqual(d.decode_64bit_float(), 50.02)
        self.assertEqual(d.decode_64bit_int(), -42)

    def test_input_registers_read_the_same_table(self):
        c = self.new_client()
        self.assertEqual(c.read_input_registers(10, 2, slave=1).registers,
                         c.read_holding_registers(10, 2, slave=1).registers)

    def test_write_within_limits_then_read_back(self):
        c = self.new_client()
        self.assertFalse(c.write_register(100, (-1200) & 0xFFFF, slave=1).isError())
        self.assertEqual(c.read_holding_registers(100, 1, slave=1).registers, [(-1200) & 0xFFFF])
        b = BinaryPayloadBuilder(byteorder=Endian.Big, wordorder=Endian.Big)
        b.add_32bit_uint(425)                           # 42.5 A at scale 10
        self.assertFalse(c.write_registers(102, b.to_registers(), slave=1).isError())
        self.assertEqual(c.read_holding_registers(102, 2, slave=1).registers, [0, 425])

    def test_write_outside_limits_is_illegal_value(self):
        c = self.new_client()
        rr = c.write_register(100, 3001, slave=1)
        self.assertTrue(rr.isError())
        self.assertEqual(rr.exception_code, 3)
        rr = c.write_registers(102, [0, 1001], slave=1)  # 100.1 A > max 100
        self.assertEqual(rr.exception_code, 3)

    def test_exception_codes(self):
        c = self.new_client()
        self.assertEqual(c.execute(ReturnQueryDataRequest(0x0000, unit=1)).exception_code, 1)
        self.assertEqual(c.read_holding_registers(40, 1, slave=1).exception_code, 2)
        self.assertEqual(c.write_register(10, 1, slave=1).exception_code, 2)   # read-only
        self.assertEqual(c.write_register(110, 1, slave=1).exception_code, 4)  # device refuses
        self.assertEqual(c.write_register(111, 1, slave=1).exception_code, 6)  # device busy
        self.assertEqual(c.read_holding_registers(0, 1, slave=3).exception_code, 10)
        self.assertEqual(c.read_holding_registers(0, 1, slave=77).exception_code, 11)
        self.assertEqual(c.write_register(112, 1, slave=1).exception_code, 11)  # never answers

    def test_coils_and_discrete_inputs(self):
        c = self.new_client()
        self.assertFalse(c.write_coil(0, True, slave=1).isError())
        self.assertEqual(c.read_coils(0, 2, slave=1).bits[:2], [True, True])
        self.assertFalse(c.write_coils(0, [False, False], slave=1).isError())
        self.assertEqual(c.read_coils(0, 2, slave=1).bits[:2], [False, False])
        self.assertEqual(c.read_discrete_inputs(0, 2, slave=1).bits[:2], [True, False])

    def test_read_write_multiple(self):
        rr = self.new_client().readwrite_registers(read_address=100, read_count=2, write_address=100,
                                               write_registers=[77], unit=1)
        self.assertFalse(rr.isError(), rr)
        self.assertEqual(rr.registers[0], 77)

    def test_device_identification(self):
        rr = self.new_client().execute(ReadDeviceInformationRequest(read_code=2, object_id=0, unit=1))
        self.assertFalse(rr.isError(), rr)
        self.assertEqual(rr.information[0], b"vxbridge")
        self.assertEqual(rr.information[1], b"static-example")

    def test_slow_device_write_waits_for_confirmation(self):
        c = self.new_client()
        self.assertFalse(c.write_register(100, 11, slave=2).isError())
        self.assertEqual(c.read_holding_registers(100, 1, slave=2).registers, [11])

    def test_status_unit_247(self):
        c = self.new_client()
        c.read_holding_registers(10, 1, slave=1)
        # The status figures are refreshed every second: wait until they show this connection.
        self.assertTrue(wait_until(
            lambda: c.read_input_registers(10, 1, slave=247).registers[0] >= 1, 5))
        r = c.read_input_registers(0, 20, slave=247).registers
        self.assertEqual(bytes(b for w in r[2:10] for b in (w >> 8, w & 0xFF)).rstrip(b"\0"), b"0.1.0")
        self.assertGreaterEqual(r[10], 1)               # this connection
        self.assertGreater((r[13] << 16) | r[14], 0)    # requests so far
        self.assertEqual(r[19], 3)                      # devices: gone, mem, slow
        d = c.read_input_registers(100, 20, slave=247).registers
        self.assertEqual(bytes(b for w in d[0:8] for b in (w >> 8, w & 0xFF)).rstrip(b"\0"), b"gone")
        self.assertEqual(d[8], 0)                       # the offline device's link is down

    def test_256_concurrent_clients(self):

        clients = [ModbusTcpClient("127.0.0.1", port=self.bridge.port, timeout=5) for _ in range(256)]
        for c in clients:
            self.assertTrue(c.connect())
        results = []

        def poll(c):
            for _ in range(3):
                rr = c.read_holding_registers(10, 1, slave=1)
                results.append(not rr.isError() and rr.registers == [2304])

        threads = [threading.Thread(target=poll, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for c in clients:
            c.close()
        self.assertEqual(results.count(True), 256 * 3)


if __name__ == "__main__":
    unittest.main()
