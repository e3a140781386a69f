// Modbus RTU framing (Modbus over serial line V1.02, section 2.5): CRC-16 (poly 0xA001, init
// 0xFFFF, low byte first on the wire) and the length of a request from its first bytes. Pure,
// tested on spec frames. Ours because libmodbus's RTU backend serves a single slave address
// per context and blocks on the port (BUILD-NOTES.md section 3); the simulated meters answer
// several units on one line, and the bridge's async RTU bus (issue 15) needs the same.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace vx::modbus::rtu {

std::uint16_t crc16(std::span<const std::uint8_t> bytes);

// Appends the CRC of everything in `frame` (low byte first).
void append_crc(std::vector<std::uint8_t>& frame);

// True when the last two bytes are the CRC of the rest.
bool crc_ok(std::span<const std::uint8_t> frame);

// The whole length (address ... CRC) of the request that starts `bytes`: 0 when more bytes are
// needed to tell, nullopt when no request starts so (an unknown function code).
std::optional<std::size_t> request_length(std::span<const std::uint8_t> bytes);

// The same for a reply to `function` (a client reading the line): exceptions are 5 bytes.
std::optional<std::size_t> reply_length(std::span<const std::uint8_t> bytes);

// Silence that ends a frame: 3.5 character times (11 bits each), 1.75 ms above 19200 baud.
std::chrono::microseconds t35(int baud);

}  // namespace vx::modbus::rtu
