// Pure MK2/MK3 frame codec (protocols/vebus-mk3-and-gx.md section 1.2): encode, decode, both
// checksum rules, LED-appended frames, and a stream parser that resynchronises on garbage.
// No I/O, no logging; tested on the captured frames of section 2.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace vx::devices::vebus {

// Byte 1 of a frame (section 1.2).
namespace frame_type {
constexpr std::uint8_t mk2 = 0xFF;           // MK2-interface frames: byte 2 is the command letter
constexpr std::uint8_t info = 0x20;          // 'F' 0..4 replies: DC and AC phase info
constexpr std::uint8_t ac_in_config = 0x41;  // 'F' 5 reply
constexpr std::uint8_t panel = 0x40;
constexpr std::uint8_t boot = 0x00;  // sent when the Multi or MK3 boots
constexpr std::uint8_t vebus_21 = 0x21, vebus_38 = 0x38, vebus_3d = 0x3D, vebus_3f = 0x3F;
}  // namespace frame_type

constexpr std::size_t kMaxLength = 20;  // velib MK2_MAX_MESSAGE_LENGTH: L & 0x7F in 1..20

struct frame {
    std::uint8_t type = frame_type::mk2;
    std::uint8_t command = 0;        // the letter of a 0xFF frame ('V', 'A', 'X', ...); else 0
    std::vector<std::uint8_t> data;  // after the letter (0xFF frames) or after the type byte
    std::optional<std::array<std::uint8_t, 2>> leds;  // appended LED on/blink (length bit 7)

    bool operator==(const frame&) const = default;
};

// 0x21, 0x38, 0x3D and 0x3F frames carry raw VE.Bus data with the nibble-swap checksum.
bool uses_special_checksum(std::uint8_t type);
bool is_known_type(std::uint8_t type);

// The checksum byte for `head` (every byte of the frame before the checksum).
std::uint8_t checksum(std::span<const std::uint8_t> head);

std::vector<std::uint8_t> encode(const frame& f);

enum class decode_error { none, bad_length, bad_type, bad_checksum };

// Decodes one complete frame; `bytes` must hold exactly (L & 0x7F) + 2 bytes.
decode_error decode(std::span<const std::uint8_t> bytes, frame& out);

// Byte stream -> frames. A candidate starts with a plausible length and a known type; on a bad
// checksum one byte is dropped and the search goes on (section 1.2, mk2.py/velib approach).
class frame_parser {
  public:
    void feed(std::span<const std::uint8_t> bytes);
    std::optional<frame> next();
    // Drops a partial frame (the caller saw silence, section 1.2: 300 ms).
    void discard_partial();
    bool has_partial() const { return start_ < buf_.size(); }

    std::uint64_t dropped_bytes() const { return dropped_; }
    std::uint64_t checksum_errors() const { return checksum_errors_; }

  private:
    void drop(std::size_t n);
    std::vector<std::uint8_t> buf_;
    std::size_t start_ = 0;
    std::uint64_t dropped_ = 0;
    std::uint64_t checksum_errors_ = 0;
};

}  // namespace vx::devices::vebus
