// Pure Modbus PDU codec: request decoding with full length/quantity validation, response encoding.
//
// We decode requests ourselves instead of calling libmodbus's modbus_reply(): BUILD-NOTES section 3
// measured that modbus_reply trusts frame lengths (out-of-bounds reads on a truncated FC16), sleeps
// 500 ms and flushes the socket on bad quantities (swallowing pipelined requests), and cannot
// defer a reply until a device has confirmed a write.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vx::modbus {

namespace fc {
constexpr std::uint8_t read_coils = 0x01, read_discrete_inputs = 0x02, read_holding = 0x03,
                       read_input = 0x04, write_coil = 0x05, write_register = 0x06,
                       write_coils = 0x0F, write_registers = 0x10, read_write = 0x17,
                       encapsulated = 0x2B;
constexpr std::uint8_t mei_device_id = 0x0E;
}  // namespace fc

enum class exception_code : std::uint8_t {
    illegal_function = 0x01,
    illegal_address = 0x02,
    illegal_value = 0x03,
    device_failure = 0x04,
    busy = 0x06,
    gateway_path_unavailable = 0x0A,
    gateway_target_failed = 0x0B,
};

// A decoded request. Reads use address/quantity; writes use write_address/write_quantity and
// `values` (registers, or 0/1 per coil); FC23 uses both.
struct request {
    std::uint8_t function = 0;
    std::uint16_t address = 0;
    std::uint16_t quantity = 0;
    std::uint16_t write_address = 0;
    std::uint16_t write_quantity = 0;
    std::vector<std::uint16_t> values;
    std::uint8_t device_id_code = 0;  // FC43/14
    std::uint8_t object_id = 0;

    bool is_write() const;
};

enum class decode_status { ok, illegal_function, illegal_value };

// Decodes a request PDU (function code first). Quantities and byte counts are checked against
// the Modbus spec limits and the PDU length; a mismatch is illegal_value (exception 0x03).
decode_status decode_request(std::span<const std::uint8_t> pdu, request& out);

// Response encoders: append a PDU to `out`.
void put_exception(std::vector<std::uint8_t>& out, std::uint8_t function, exception_code code);
void put_registers(std::vector<std::uint8_t>& out, std::uint8_t function,
                   std::span<const std::uint16_t> regs);
void put_bits(std::vector<std::uint8_t>& out, std::uint8_t function,
              std::span<const std::uint8_t> bits);
void put_write_echo(std::vector<std::uint8_t>& out, const request& r);  // FC5/6/15/16

}  // namespace vx::modbus
