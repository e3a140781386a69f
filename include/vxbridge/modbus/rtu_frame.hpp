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

// What a run of line bytes holds. A serial line ends frames by silence (t3.5), so a run read up
// to a silence is complete (`final`): what does not parse is noise. A TCP stream (RTU over TCP,
// a transparent serial-to-Ethernet converter) has no silence: a frame may still be arriving.
struct rtu_piece {
    enum class kind {
        request,  // a request with a good CRC, for any unit (ours or another slave's)
        reply,    // another slave's reply with a good CRC (the bus is shared): ignored
        noise,    // bytes that are no frame (garbage, a bad CRC, half a frame)
    } what = kind::noise;
    std::size_t offset = 0, size = 0;
};

// Cuts `bytes` into pieces (appended to `out`) and returns how many bytes they cover; the rest
// (only when !final) is an incomplete frame to wait for. Noise is resynchronised byte by byte.
std::size_t split(std::span<const std::uint8_t> bytes, bool final, std::vector<rtu_piece>& out);

// Silence that ends a frame: 3.5 character times (11 bits each), 1.75 ms above 19200 baud.
std::chrono::microseconds t35(int baud);

}  // namespace vx::modbus::rtu
