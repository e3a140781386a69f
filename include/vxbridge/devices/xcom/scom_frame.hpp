// Pure SCOM (Studer Xtender serial protocol) codec (protocols/xcom-and-xcom485i.md sections
// 1.2-1.7): frames with both checksums, the property service layer, data formats, error codes,
// multi-info, and a stream parser that resynchronises on 0xAA. No I/O, no logging.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace vx::devices::xcom {

namespace service {
constexpr std::uint8_t read = 0x01, write = 0x02;
}
namespace object_type {
constexpr std::uint16_t info = 0x0001, parameter = 0x0002, message = 0x0003, guid = 0x0004,
                        multi_info = 0x000A;
}
namespace property {
constexpr std::uint16_t value = 0x0001;  // infos
constexpr std::uint16_t value_qsp = 0x0005, min_qsp = 0x0006, max_qsp = 0x0007, level_qsp = 0x0008,
                        unsaved_value_qsp = 0x000D;  // parameters
}  // namespace property

// Error codes of an error response (section 1.7).
enum class scom_error : std::uint16_t {
    invalid_frame = 0x0001,
    device_not_found = 0x0002,
    response_timeout = 0x0003,
    service_not_supported = 0x0011,
    invalid_service_argument = 0x0012,
    gateway_busy = 0x0013,
    type_not_supported = 0x0021,
    object_id_not_found = 0x0022,
    property_not_supported = 0x0023,
    invalid_data_length = 0x0024,
    property_is_read_only = 0x0025,
    invalid_data = 0x0026,
    data_too_small = 0x0027,
    data_too_big = 0x0028,
    write_property_failed = 0x0029,
    read_property_failed = 0x002A,
    access_denied = 0x002B,
    object_not_supported = 0x002C,
    multicast_read_not_supported = 0x002D,
    object_property_invalid = 0x002E,
    file_or_dir_not_present = 0x002F,
    file_corrupted = 0x0030,
};
const std::error_category& scom_category();
std::error_code make_error_code(scom_error e);

struct frame {
    std::uint8_t frame_flags = 0;
    std::uint32_t src = 1;  // the DTE's address by convention
    std::uint32_t dst = 0;
    // Service layer (frame_data).
    std::uint8_t service_flags = 0;  // bit1 response, bit0 error
    std::uint8_t service_id = 0;
    std::uint16_t object_type = 0;
    std::uint32_t object_id = 0;
    std::uint16_t property_id = 0;
    std::vector<std::uint8_t> data;  // property_data

    bool is_response() const { return service_flags & 0x02; }
    bool is_error() const { return service_flags & 0x01; }
    std::optional<scom_error> error() const;  // the code of an error response
    bool operator==(const frame&) const = default;
};

constexpr std::size_t kHeaderSize = 14;       // 0xAA .. header checksum
constexpr std::size_t kServiceHeader = 10;    // flags, id, object type, object id, property id
constexpr std::size_t kMaxDataLength = 2048;  // multi-info responses exceed the spec's 240

// Fletcher-style checksum, A = 0xFF, B = 0 (section 1.3); on the wire [A, B].
std::array<std::uint8_t, 2> checksum(std::span<const std::uint8_t> bytes);

std::vector<std::uint8_t> encode(const frame& f);

enum class decode_error { none, bad_start, bad_length, bad_header_checksum, bad_data_checksum };
// Decodes exactly one frame (bytes.size() == 14 + data_length + 2).
decode_error decode(std::span<const std::uint8_t> bytes, frame& out);

// Byte stream -> frames: skips to 0xAA, checks both checksums (a failed header checksum drops
// one byte and searches again), tolerates CR LF and junk between frames, bounded buffer.
class frame_parser {
  public:
    void feed(std::span<const std::uint8_t> bytes);
    std::optional<frame> next();
    void reset() { buf_.clear(); }
    std::uint64_t dropped_bytes() const { return dropped_; }
    std::uint64_t checksum_errors() const { return checksum_errors_; }

  private:
    std::vector<std::uint8_t> buf_;
    std::uint64_t dropped_ = 0, checksum_errors_ = 0;
};

// Requests (frame_flags 0, src 1).
frame read_request(std::uint32_t dst, std::uint16_t type, std::uint32_t id, std::uint16_t prop);
frame write_request(std::uint32_t dst, std::uint16_t type, std::uint32_t id, std::uint16_t prop,
                    std::vector<std::uint8_t> value);
// The response to `request`: same service, object and property; src/dst swapped.
frame response_to(const frame& request, std::vector<std::uint8_t> value);
frame error_response(const frame& request, scom_error e);
// Whether `r` answers `request` (section 2.4: service, object type and id, property, and the
// device it was sent to, unless that was a multicast address).
bool is_response_to(const frame& request, const frame& r);
bool is_multicast(std::uint32_t address);

// Data formats (section 1.6).
enum class data_format {
    boolean,
    format,
    short_enum,
    error,
    int32,
    float32,
    string,
    dynamic,
    byte_stream,
    long_enum,
    guid
};
std::vector<std::uint8_t> encode_value(data_format f, double v);
std::optional<double> decode_value(data_format f, std::span<const std::uint8_t> b);

// Multi-info (object type 0x000A at 501, section 1.9).
struct multi_info_item {
    std::uint16_t info = 0;
    std::uint8_t aggregation = 0;  // 0 master, 1..15 device, 0xFD average, 0xFE sum
};
struct multi_info_value {
    std::uint16_t info = 0;
    std::uint8_t aggregation = 0;
    float value = 0;
};
struct multi_info_reply {
    std::uint32_t flags = 0;
    std::uint32_t time = 0;
    std::vector<multi_info_value> values;
};
constexpr std::size_t kMaxMultiInfo = 76;
constexpr std::uint32_t kXcomAddress = 501;
frame multi_info_request(std::span<const multi_info_item> items, std::uint16_t request_id = 1);
std::vector<std::uint8_t> encode_multi_info_reply(const multi_info_reply& r);
std::optional<multi_info_reply> parse_multi_info(const frame& f);

}  // namespace vx::devices::xcom

template <>
struct std::is_error_code_enum<vx::devices::xcom::scom_error> : std::true_type {};
