#include "vxbridge/register_map/value_type.hpp"

#include <array>
#include <utility>

namespace vx::register_map {

namespace {
constexpr std::array<std::pair<std::string_view, value_type>, 11> kNames{{
    {"u16", value_type::u16},
    {"i16", value_type::i16},
    {"u32", value_type::u32},
    {"i32", value_type::i32},
    {"u64", value_type::u64},
    {"i64", value_type::i64},
    {"f32", value_type::f32},
    {"f64", value_type::f64},
    {"string", value_type::string},
    {"pad", value_type::pad},
    {"bit", value_type::bit},
}};
}  // namespace

std::optional<value_type> parse_value_type(std::string_view name) {
    for (const auto& [n, t] : kNames)
        if (n == name) return t;
    return std::nullopt;
}

std::string_view name_of(value_type t) {
    for (const auto& [n, v] : kNames)
        if (v == t) return n;
    return "?";
}

unsigned width_of(value_type t, unsigned length) {
    switch (t) {
        case value_type::u16:
        case value_type::i16:
        case value_type::bit:
            return 1;
        case value_type::u32:
        case value_type::i32:
        case value_type::f32:
            return 2;
        case value_type::u64:
        case value_type::i64:
        case value_type::f64:
            return 4;
        case value_type::string:
        case value_type::pad:
            return length;
    }
    return 1;
}

std::optional<int_range> usable_range(value_type t) {
    switch (t) {
        case value_type::u16:
            return int_range{0, 65534};
        case value_type::i16:
            return int_range{-32767, 32767};
        case value_type::u32:
            return int_range{0, 4294967294.0};
        case value_type::i32:
            return int_range{-2147483647.0, 2147483647.0};
        // 2^64 - 2 and 2^63 - 1 are not representable as double; the nearest doubles below
        // the sentinels keep saturated values clear of them.
        case value_type::u64:
            return int_range{0, 18446744073709549568.0};
        case value_type::i64:
            return int_range{-9223372036854774784.0, 9223372036854774784.0};
        case value_type::bit:
            return int_range{0, 1};
        default:
            return std::nullopt;
    }
}

}  // namespace vx::register_map
