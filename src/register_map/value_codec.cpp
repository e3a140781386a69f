#include "vxbridge/register_map/value_codec.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <limits>

namespace vx::register_map {

namespace {

// Spreads `raw` over `words` registers, high word first, then applies the word order.
void put_words(std::uint64_t raw, word_order order, std::span<std::uint16_t> out) {
    const auto n = out.size();
    for (std::size_t i = 0; i < n; ++i)
        out[i] = static_cast<std::uint16_t>(raw >> (16 * (n - 1 - i)));
    if (order == word_order::little) std::reverse(out.begin(), out.end());
}

std::uint64_t get_words(std::span<const std::uint16_t> in, word_order order) {
    std::uint64_t raw = 0;
    const auto n = in.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t k = order == word_order::little ? n - 1 - i : i;
        raw = (raw << 16) | in[k];
    }
    return raw;
}

std::uint64_t sentinel_raw(value_type t) {
    switch (t) {
        case value_type::u16:
            return 0xFFFF;
        case value_type::i16:
            return 0x8000;
        case value_type::u32:
            return 0xFFFFFFFF;
        case value_type::i32:
            return 0x80000000;
        case value_type::u64:
            return ~std::uint64_t{0};
        case value_type::i64:
            return std::uint64_t{1} << 63;
        case value_type::f32:
            return 0x7FC00000;  // quiet NaN
        case value_type::f64:
            return 0x7FF8000000000000;
        default:
            return 0;
    }
}

std::uint64_t signed_raw(double x, unsigned bits) {
    const auto i = static_cast<std::int64_t>(x);
    const std::uint64_t mask = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    return static_cast<std::uint64_t>(i) & mask;
}

encode_status encode_string(const register_entry& e, const core::value& v,
                            std::span<std::uint16_t> out) {
    if (!core::has_value(v)) {
        encode_unavailable(e, out);
        return encode_status::unavailable;
    }
    const std::string s = core::to_string(v);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const auto hi = 2 * i < s.size() ? static_cast<unsigned char>(s[2 * i]) : 0u;
        const auto lo = 2 * i + 1 < s.size() ? static_cast<unsigned char>(s[2 * i + 1]) : 0u;
        out[i] = static_cast<std::uint16_t>((hi << 8) | lo);
    }
    return 2 * out.size() < s.size() ? encode_status::saturated : encode_status::ok;
}

encode_status encode_float(const register_entry& e, double x, std::span<std::uint16_t> out) {
    auto status = encode_status::ok;
    if (e.type == value_type::f32) {
        if (std::fabs(x) > FLT_MAX) {
            x = std::copysign(static_cast<double>(FLT_MAX), x);
            status = encode_status::saturated;
        }
        put_words(std::bit_cast<std::uint32_t>(static_cast<float>(x)), e.order, out);
    } else {
        put_words(std::bit_cast<std::uint64_t>(x), e.order, out);
    }
    return status;
}

}  // namespace

void encode_unavailable(const register_entry& e, std::span<std::uint16_t> out) {
    if (e.type == value_type::pad) {
        std::fill(out.begin(), out.end(), std::uint16_t{0xFFFF});
        return;
    }
    if (e.unavailable == unavailable_mode::zero || e.type == value_type::string ||
        e.type == value_type::bit) {
        std::fill(out.begin(), out.end(), std::uint16_t{0});
        return;
    }
    put_words(sentinel_raw(e.type), e.order, out);
}

encode_status encode(const register_entry& e, const core::value& v, std::span<std::uint16_t> out) {
    if (e.type == value_type::pad) {
        encode_unavailable(e, out);
        return encode_status::ok;
    }
    if (e.type == value_type::string) return encode_string(e, v, out);
    const auto num = core::as_double(v);
    if (!num || std::isnan(*num)) {
        encode_unavailable(e, out);
        return encode_status::unavailable;
    }
    if (is_float(e.type)) return encode_float(e, *num * e.scale, out);

    // Integers: exact for int64 values at scale 1, round-half-away-from-zero otherwise.
    const auto range = *usable_range(e.type);
    double x = std::round(*num * e.scale);
    auto status = encode_status::ok;
    if (!(x >= range.lo)) x = range.lo, status = encode_status::saturated;
    if (x > range.hi) x = range.hi, status = encode_status::saturated;
    const auto* exact = std::get_if<std::int64_t>(&v);
    const bool use_exact = exact && e.scale == 1.0 && status == encode_status::ok;
    switch (e.type) {
        case value_type::u64:
            put_words(
                use_exact ? static_cast<std::uint64_t>(*exact) : static_cast<std::uint64_t>(x),
                e.order, out);
            break;
        case value_type::i64:
            put_words(use_exact ? static_cast<std::uint64_t>(*exact) : signed_raw(x, 64), e.order,
                      out);
            break;
        case value_type::i16:
            put_words(signed_raw(x, 16), e.order, out);
            break;
        case value_type::i32:
            put_words(signed_raw(x, 32), e.order, out);
            break;
        default:
            put_words(static_cast<std::uint64_t>(x), e.order, out);
            break;
    }
    return status;
}

namespace {

// The register content as a number before scaling; nullopt for NaN.
std::optional<double> raw_number(const register_entry& e, std::span<const std::uint16_t> in,
                                 std::int64_t& as_int) {
    const std::uint64_t raw = get_words(in, e.order);
    switch (e.type) {
        case value_type::i16:
            as_int = static_cast<std::int16_t>(raw);
            break;
        case value_type::i32:
            as_int = static_cast<std::int32_t>(raw);
            break;
        case value_type::i64:
            as_int = static_cast<std::int64_t>(raw);
            break;
        case value_type::f32: {
            const double f = std::bit_cast<float>(static_cast<std::uint32_t>(raw));
            if (std::isnan(f)) return std::nullopt;
            as_int = 0;
            return f;
        }
        case value_type::f64: {
            const double f = std::bit_cast<double>(raw);
            if (std::isnan(f)) return std::nullopt;
            as_int = 0;
            return f;
        }
        case value_type::u64:
            if (raw > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return static_cast<double>(raw);
            as_int = static_cast<std::int64_t>(raw);
            break;
        default:
            as_int = static_cast<std::int64_t>(raw);
            break;
    }
    return static_cast<double>(as_int);
}

}  // namespace

core::value decode(const register_entry& e, std::span<const std::uint16_t> in) {
    if (e.type == value_type::pad || in.size() < e.width()) return {};
    if (e.type == value_type::string) {
        std::string s;
        for (auto w : in.first(e.width()))
            for (auto c : {static_cast<char>(w >> 8), static_cast<char>(w & 0xFF)})
                if (c != '\0') s.push_back(c);
        while (!s.empty() && s.back() == ' ') s.pop_back();
        return s;
    }
    const auto words = in.first(e.width());
    if (is_integer(e.type) && e.type != value_type::bit &&
        get_words(words, e.order) == sentinel_raw(e.type))
        return {};  // the device says "not available"
    std::int64_t as_int = 0;
    const auto raw = raw_number(e, words, as_int);
    if (!raw || !std::isfinite(*raw)) return {};
    if (is_integer(e.type) && e.scale == 1.0) return as_int;
    return *raw / e.scale;
}

decoded_write decode_write(const register_entry& e, std::span<const std::uint16_t> in) {
    decoded_write out;
    if (e.access != access_mode::rw || e.type == value_type::pad) {
        out.error = decode_error::not_writable;
        return out;
    }
    if (e.type == value_type::string) {
        std::string s;
        for (auto w : in)
            for (auto c : {static_cast<char>(w >> 8), static_cast<char>(w & 0xFF)})
                if (c != '\0') s.push_back(c);
        out.v = std::move(s);
        return out;
    }
    std::int64_t as_int = 0;
    const auto raw = raw_number(e, in, as_int);
    if (!raw) {
        out.error = decode_error::not_a_number;
        return out;
    }
    const double eng = *raw / e.scale;
    if (is_integer(e.type) && e.scale == 1.0)
        out.v = as_int;
    else
        out.v = eng;
    if (!e.enumeration.empty()) {
        const double r = std::round(eng);
        if (r != eng || !e.enumeration.contains(static_cast<std::int64_t>(r)))
            out.error = decode_error::not_in_enum;
    }
    if (out.error == decode_error::none && ((e.min && eng < *e.min) || (e.max && eng > *e.max)))
        out.error = decode_error::out_of_range;
    return out;
}

}  // namespace vx::register_map
