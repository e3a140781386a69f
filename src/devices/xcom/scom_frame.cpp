#include "vxbridge/devices/xcom/scom_frame.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

namespace vx::devices::xcom {

namespace {

void put16(std::vector<std::uint8_t>& o, std::uint16_t v) {
    o.push_back(static_cast<std::uint8_t>(v));
    o.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(std::vector<std::uint8_t>& o, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) o.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}
std::uint16_t get16(const std::uint8_t* p) {
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t get32(const std::uint8_t* p) {
    return static_cast<std::uint32_t>(p[0] | (p[1] << 8) | (p[2] << 16)) |
           (std::uint32_t{p[3]} << 24);
}

class category final : public std::error_category {
  public:
    const char* name() const noexcept override { return "scom"; }
    std::string message(int c) const override {
        switch (static_cast<scom_error>(c)) {
            case scom_error::invalid_frame:
                return "INVALID_FRAME";
            case scom_error::device_not_found:
                return "DEVICE_NOT_FOUND";
            case scom_error::response_timeout:
                return "RESPONSE_TIMEOUT";
            case scom_error::service_not_supported:
                return "SERVICE_NOT_SUPPORTED";
            case scom_error::invalid_service_argument:
                return "INVALID_SERVICE_ARGUMENT";
            case scom_error::gateway_busy:
                return "GATEWAY_BUSY";
            case scom_error::type_not_supported:
                return "TYPE_NOT_SUPPORTED";
            case scom_error::object_id_not_found:
                return "OBJECT_ID_NOT_FOUND";
            case scom_error::property_not_supported:
                return "PROPERTY_NOT_SUPPORTED";
            case scom_error::invalid_data_length:
                return "INVALID_DATA_LENGTH";
            case scom_error::property_is_read_only:
                return "PROPERTY_IS_READ_ONLY";
            case scom_error::invalid_data:
                return "INVALID_DATA";
            case scom_error::data_too_small:
                return "DATA_TOO_SMALL";
            case scom_error::data_too_big:
                return "DATA_TOO_BIG";
            case scom_error::write_property_failed:
                return "WRITE_PROPERTY_FAILED";
            case scom_error::read_property_failed:
                return "READ_PROPERTY_FAILED";
            case scom_error::access_denied:
                return "ACCESS_DENIED";
            case scom_error::object_not_supported:
                return "OBJECT_NOT_SUPPORTED";
            case scom_error::multicast_read_not_supported:
                return "MULTICAST_READ_NOT_SUPPORTED";
            case scom_error::object_property_invalid:
                return "OBJECT_PROPERTY_INVALID";
            case scom_error::file_or_dir_not_present:
                return "FILE_OR_DIR_NOT_PRESENT";
            case scom_error::file_corrupted:
                return "FILE_CORRUPTED";
        }
        return "SCOM error " + std::to_string(c);
    }
};

}  // namespace

const std::error_category& scom_category() {
    static const category c;
    return c;
}
std::error_code make_error_code(scom_error e) {
    return {static_cast<int>(e), scom_category()};
}

std::optional<scom_error> frame::error() const {
    if (!is_error() || data.size() != 2) return std::nullopt;
    return static_cast<scom_error>(get16(data.data()));
}

std::array<std::uint8_t, 2> checksum(std::span<const std::uint8_t> bytes) {
    std::uint8_t a = 0xFF, b = 0;
    for (auto d : bytes) {
        a = static_cast<std::uint8_t>(a + d);
        b = static_cast<std::uint8_t>(b + a);
    }
    return {a, b};
}

std::vector<std::uint8_t> encode(const frame& f) {
    std::vector<std::uint8_t> out{0xAA, f.frame_flags};
    put32(out, f.src);
    put32(out, f.dst);
    put16(out, static_cast<std::uint16_t>(kServiceHeader + f.data.size()));
    const auto hc = checksum(std::span(out).subspan(1, 11));
    out.insert(out.end(), hc.begin(), hc.end());
    const std::size_t body = out.size();
    out.push_back(f.service_flags);
    out.push_back(f.service_id);
    put16(out, f.object_type);
    put32(out, f.object_id);
    put16(out, f.property_id);
    out.insert(out.end(), f.data.begin(), f.data.end());
    const auto dc = checksum(std::span(out).subspan(body));
    out.insert(out.end(), dc.begin(), dc.end());
    return out;
}

decode_error decode(std::span<const std::uint8_t> b, frame& out) {
    if (b.size() < kHeaderSize + 2 || b[0] != 0xAA) return decode_error::bad_start;
    if (checksum(b.subspan(1, 11)) != std::array<std::uint8_t, 2>{b[12], b[13]})
        return decode_error::bad_header_checksum;
    const std::size_t n = get16(&b[10]);
    if (n < kServiceHeader || n > kMaxDataLength || b.size() != kHeaderSize + n + 2)
        return decode_error::bad_length;
    const auto data = b.subspan(kHeaderSize, n);
    if (checksum(data) != std::array<std::uint8_t, 2>{b[kHeaderSize + n], b[kHeaderSize + n + 1]})
        return decode_error::bad_data_checksum;
    out.frame_flags = b[1];
    out.src = get32(&b[2]);
    out.dst = get32(&b[6]);
    out.service_flags = data[0];
    out.service_id = data[1];
    out.object_type = get16(&data[2]);
    out.object_id = get32(&data[4]);
    out.property_id = get16(&data[8]);
    out.data.assign(data.begin() + kServiceHeader, data.end());
    return decode_error::none;
}

void frame_parser::feed(std::span<const std::uint8_t> bytes) {
    buf_.insert(buf_.end(), bytes.begin(), bytes.end());
    // A stream that never yields a frame must not grow without bound.
    if (buf_.size() > 4 * (kHeaderSize + kMaxDataLength)) {
        dropped_ += buf_.size();
        buf_.clear();
    }
}

std::optional<frame> frame_parser::next() {
    std::size_t pos = 0;
    std::optional<frame> result;
    while (!result) {
        const auto start =
            std::find(buf_.begin() + static_cast<std::ptrdiff_t>(pos), buf_.end(), 0xAA);
        dropped_ += static_cast<std::uint64_t>(start - buf_.begin()) - pos;  // CR LF, 0xFF, junk
        pos = static_cast<std::size_t>(start - buf_.begin());
        if (buf_.size() - pos < kHeaderSize) break;
        const std::uint8_t* h = buf_.data() + pos;
        if (checksum(std::span(h + 1, 11)) != std::array<std::uint8_t, 2>{h[12], h[13]}) {
            ++checksum_errors_;
            ++dropped_;
            ++pos;  // not a frame start after all
            continue;
        }
        const std::size_t n = get16(h + 10);
        if (n < kServiceHeader || n > kMaxDataLength) {
            ++dropped_;
            ++pos;
            continue;
        }
        const std::size_t size = kHeaderSize + n + 2;
        if (buf_.size() - pos < size) break;  // wait for the rest
        frame f;
        if (decode(std::span(h, size), f) == decode_error::none) {
            result = std::move(f);
            pos += size;
        } else {
            ++checksum_errors_;  // data checksum: the device would send nothing; skip the frame
            dropped_ += size;
            pos += size;
        }
    }
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos));
    return result;
}

frame read_request(std::uint32_t dst, std::uint16_t type, std::uint32_t id, std::uint16_t prop) {
    frame f;
    f.dst = dst;
    f.service_id = service::read;
    f.object_type = type;
    f.object_id = id;
    f.property_id = prop;
    return f;
}

frame write_request(std::uint32_t dst, std::uint16_t type, std::uint32_t id, std::uint16_t prop,
                    std::vector<std::uint8_t> value) {
    frame f = read_request(dst, type, id, prop);
    f.service_id = service::write;
    f.data = std::move(value);
    return f;
}

frame response_to(const frame& req, std::vector<std::uint8_t> value) {
    frame r = req;
    r.src = req.dst;  // the Xcom copies the request's src into dst (section 1.2)
    r.dst = req.src;
    r.service_flags = 0x02;
    r.data = std::move(value);
    return r;
}

frame error_response(const frame& req, scom_error e) {
    frame r = response_to(req, {});
    r.service_flags = 0x03;
    put16(r.data, static_cast<std::uint16_t>(e));
    return r;
}

bool is_multicast(std::uint32_t a) {
    return a == 0 || a == 100 || a == 191 || a == 192 || a == 193 || a == 300 || a == 600 ||
           a == 700;
}

bool is_response_to(const frame& q, const frame& r) {
    return r.is_response() && r.service_id == q.service_id && r.object_type == q.object_type &&
           r.object_id == q.object_id && r.property_id == q.property_id &&
           (r.src == q.dst || is_multicast(q.dst));
}

std::vector<std::uint8_t> encode_value(data_format f, double v) {
    std::vector<std::uint8_t> o;
    switch (f) {
        case data_format::boolean:
            o.push_back(v != 0 ? 1 : 0);
            break;
        case data_format::format:
        case data_format::short_enum:
        case data_format::error:
            put16(o, static_cast<std::uint16_t>(std::lround(v)));
            break;
        case data_format::int32:
            put32(o, static_cast<std::uint32_t>(static_cast<std::int32_t>(std::lround(v))));
            break;
        case data_format::long_enum:
            put32(o, static_cast<std::uint32_t>(std::llround(v)));
            break;
        default:
            put32(o, std::bit_cast<std::uint32_t>(static_cast<float>(v)));
            break;
    }
    return o;
}

std::optional<double> decode_value(data_format f, std::span<const std::uint8_t> b) {
    switch (f) {
        case data_format::boolean:
            if (b.size() != 1 || b[0] > 1) return std::nullopt;
            return b[0];
        case data_format::format:
        case data_format::short_enum:
        case data_format::error:
            if (b.size() != 2) return std::nullopt;
            return get16(b.data());
        case data_format::int32:
            if (b.size() != 4) return std::nullopt;
            return static_cast<std::int32_t>(get32(b.data()));
        case data_format::long_enum:
            if (b.size() != 4) return std::nullopt;
            return get32(b.data());
        case data_format::float32:
        case data_format::dynamic:
            if (b.size() != 4) return std::nullopt;
            return std::bit_cast<float>(get32(b.data()));
        default:
            return std::nullopt;
    }
}

frame multi_info_request(std::span<const multi_info_item> items, std::uint16_t request_id) {
    std::vector<std::uint8_t> d;
    for (const auto& i : items) {
        put16(d, i.info);
        d.push_back(i.aggregation);
    }
    // The property id is "not relevant" and echoed: a request id to match responses by.
    frame f = read_request(kXcomAddress, object_type::multi_info, 1, request_id);
    f.data = std::move(d);
    return f;
}

std::vector<std::uint8_t> encode_multi_info_reply(const multi_info_reply& r) {
    std::vector<std::uint8_t> d;
    put32(d, r.flags);
    put32(d, r.time);
    for (const auto& v : r.values) {
        put16(d, v.info);
        d.push_back(v.aggregation);
        put32(d, std::bit_cast<std::uint32_t>(v.value));
    }
    return d;
}

std::optional<multi_info_reply> parse_multi_info(const frame& f) {
    if (f.object_type != object_type::multi_info || f.is_error() || f.data.size() < 8 ||
        (f.data.size() - 8) % 7 != 0)
        return std::nullopt;
    multi_info_reply r;
    r.flags = get32(f.data.data());
    r.time = get32(f.data.data() + 4);
    for (std::size_t i = 8; i < f.data.size(); i += 7)
        r.values.push_back(
            {get16(&f.data[i]), f.data[i + 2], std::bit_cast<float>(get32(&f.data[i + 3]))});
    return r;
}

}  // namespace vx::devices::xcom
