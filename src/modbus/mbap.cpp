#include "vxbridge/modbus/mbap.hpp"

namespace vx::modbus::mbap {

split_result split(std::span<const std::uint8_t> s) {
    if (s.size() < header_size) return {};
    const unsigned protocol = static_cast<unsigned>(s[2] << 8 | s[3]);
    const unsigned length = static_cast<unsigned>(s[4] << 8 | s[5]);
    if (protocol != 0) return {split_status::bad_protocol, 0};
    if (length < 2 || length > max_length) return {split_status::bad_length, 0};
    const std::size_t size = 6 + length;
    if (s.size() < size) return {};
    return {split_status::frame, size};
}

void fix_length(std::vector<std::uint8_t>& out, std::size_t at) {
    const std::size_t len = out.size() - at - 6;  // unit id + PDU
    out[at + 4] = static_cast<std::uint8_t>(len >> 8);
    out[at + 5] = static_cast<std::uint8_t>(len & 0xFF);
}

void append_response(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> request_header,
                     std::span<const std::uint8_t> pdu) {
    const auto at = out.size();
    out.insert(out.end(), request_header.begin(), request_header.begin() + header_size);
    out.insert(out.end(), pdu.begin(), pdu.end());
    fix_length(out, at);
}

}  // namespace vx::modbus::mbap
