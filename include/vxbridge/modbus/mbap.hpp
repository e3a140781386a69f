// Modbus TCP application header (MBAP): split a byte stream into ADUs and frame responses.
// Pure (core and std only), tested and fuzzed on byte arrays. Ours, not libmodbus's: libmodbus
// receives by blocking on its own socket and cannot defer a reply, while the bridge serves many
// connections on one event loop and answers writes when the device has (tcp_session.hpp).
// Modbus Messaging on TCP/IP Implementation Guide V1.0b, section 3.1.3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace vx::modbus::mbap {

constexpr std::size_t header_size = 7;   // transaction, protocol, length, unit id
constexpr std::size_t max_length = 254;  // length field: unit id + PDU of at most 253 bytes

enum class split_status {
    need_more,     // not a whole ADU yet
    frame,         // `size` bytes starting at the front are one ADU
    bad_protocol,  // protocol id != 0: the stream cannot be trusted any more
    bad_length,    // length outside 2..254: same
};

struct split_result {
    split_status status = split_status::need_more;
    std::size_t size = 0;  // the ADU's size when status == frame
};

// Looks at the front of `stream` (which may hold several ADUs, or part of one).
split_result split(std::span<const std::uint8_t> stream);

// The fields of a whole ADU's header (`adu` holds at least header_size bytes).
inline std::uint16_t transaction_of(std::span<const std::uint8_t> adu) {
    return static_cast<std::uint16_t>(adu[0] << 8 | adu[1]);
}
inline std::uint8_t unit_of(std::span<const std::uint8_t> adu) {
    return adu[6];
}
inline std::span<const std::uint8_t> pdu_of(std::span<const std::uint8_t> adu) {
    return adu.subspan(header_size);
}

// Appends a response ADU: the request's header (transaction, protocol, unit id) with the length
// of `pdu`, then `pdu`.
void append_response(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> request_header,
                     std::span<const std::uint8_t> pdu);
// Sets the length field of the response whose header starts at out[at] to cover what follows.
void fix_length(std::vector<std::uint8_t>& out, std::size_t at);

}  // namespace vx::modbus::mbap
