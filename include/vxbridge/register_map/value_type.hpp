// Modbus value types of a register map and their sizes in registers.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace vx::register_map {

enum class value_type { u16, i16, u32, i32, u64, i64, f32, f64, string, pad, bit };
enum class word_order { big, little };  // big: high word at the lower address (GX, Xcom-485i)

std::optional<value_type> parse_value_type(std::string_view name);
std::string_view name_of(value_type t);

// Registers a value of type t occupies; string and pad take `length` registers, bit takes one bit.
unsigned width_of(value_type t, unsigned length);

constexpr bool is_integer(value_type t) {
    return t == value_type::u16 || t == value_type::i16 || t == value_type::u32 ||
           t == value_type::i32 || t == value_type::u64 || t == value_type::i64 ||
           t == value_type::bit;
}
constexpr bool is_float(value_type t) {
    return t == value_type::f32 || t == value_type::f64;
}
constexpr bool is_numeric(value_type t) {
    return is_integer(t) || is_float(t);
}

// The range a register of type t can carry as a real value. The SunSpec "not implemented"
// sentinel is excluded (0xFFFF.., 0x8000..), so that a saturated value never reads as missing.
struct int_range {
    double lo;
    double hi;
};
std::optional<int_range> usable_range(value_type t);

}  // namespace vx::register_map
