#include "vxbridge/devices/vebus/mk3_frame.hpp"

#include <algorithm>

namespace vx::devices::vebus {

bool uses_special_checksum(std::uint8_t type) {
    return type == frame_type::vebus_21 || type == frame_type::vebus_38 ||
           type == frame_type::vebus_3d || type == frame_type::vebus_3f;
}

bool is_known_type(std::uint8_t type) {
    return type == frame_type::mk2 || type == frame_type::info ||
           type == frame_type::ac_in_config || type == frame_type::panel ||
           type == frame_type::boot || uses_special_checksum(type);
}

// Normal rule: all bytes including the checksum sum to 0 mod 256. Special rule (0x21, 0x38,
// 0x3D, 0x3F): the nibble-swapped bytes 1, 3 and 5 are added too (mk2.py framing, section 1.2).
std::uint8_t checksum(std::span<const std::uint8_t> head) {
    unsigned sum = 0;
    for (auto b : head) sum += b;
    if (head.size() > 1 && uses_special_checksum(head[1]))
        for (std::size_t i = 1; i < head.size() && i <= 5; i += 2)
            sum += static_cast<std::uint8_t>((head[i] >> 4) | (head[i] << 4));
    return static_cast<std::uint8_t>(-sum & 0xFF);
}

std::vector<std::uint8_t> encode(const frame& f) {
    std::vector<std::uint8_t> out;
    const bool mk2 = f.type == frame_type::mk2;
    const std::size_t body = 1 + (mk2 ? 1 : 0) + f.data.size() + (f.leds ? 2 : 0);
    out.push_back(static_cast<std::uint8_t>(body | (f.leds ? 0x80 : 0)));
    out.push_back(f.type);
    if (mk2) out.push_back(f.command);
    out.insert(out.end(), f.data.begin(), f.data.end());
    if (f.leds) out.insert(out.end(), f.leds->begin(), f.leds->end());
    out.push_back(checksum(out));
    return out;
}

decode_error decode(std::span<const std::uint8_t> bytes, frame& out) {
    if (bytes.size() < 3) return decode_error::bad_length;
    const std::size_t len = bytes[0] & 0x7F;
    const bool has_leds = bytes[0] & 0x80;
    if (len < 1 || len > kMaxLength || bytes.size() != len + 2) return decode_error::bad_length;
    const std::uint8_t type = bytes[1];
    if (!is_known_type(type)) return decode_error::bad_type;
    if (checksum(bytes.first(bytes.size() - 1)) != bytes.back()) return decode_error::bad_checksum;
    const bool mk2 = type == frame_type::mk2;
    const std::size_t head = mk2 ? 3 : 2;
    const std::size_t led_bytes = has_leds ? 2 : 0;
    if (len + 1 < head + led_bytes) return decode_error::bad_length;
    out.type = type;
    out.command = mk2 ? bytes[2] : 0;
    const std::size_t data_end = bytes.size() - 1 - led_bytes;
    out.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(head),
                    bytes.begin() + static_cast<std::ptrdiff_t>(data_end));
    out.leds.reset();
    if (has_leds) out.leds = std::array<std::uint8_t, 2>{bytes[data_end], bytes[data_end + 1]};
    return decode_error::none;
}

void frame_parser::feed(std::span<const std::uint8_t> bytes) {
    if (start_ > 0 && start_ == buf_.size()) {
        buf_.clear();
        start_ = 0;
    }
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
}

void frame_parser::drop(std::size_t n) {
    start_ += n;
    dropped_ += n;
}

std::optional<frame> frame_parser::next() {
    while (buf_.size() - start_ >= 2) {
        const std::uint8_t* p = buf_.data() + start_;
        const std::size_t len = p[0] & 0x7F;
        if (len < 1 || len > kMaxLength || !is_known_type(p[1])) {
            drop(1);
            continue;
        }
        const std::size_t size = len + 2;
        if (buf_.size() - start_ < size) break;  // wait for the rest
        frame f;
        const auto err = decode(std::span(p, size), f);
        if (err != decode_error::none) {
            if (err == decode_error::bad_checksum) ++checksum_errors_;
            drop(1);
            continue;
        }
        start_ += size;
        return f;
    }
    // Keep the buffer small: move the unconsumed tail to the front.
    if (start_ > 0) {
        buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
    return std::nullopt;
}

void frame_parser::discard_partial() {
    dropped_ += buf_.size() - start_;
    buf_.clear();
    start_ = 0;
}

}  // namespace vx::devices::vebus
