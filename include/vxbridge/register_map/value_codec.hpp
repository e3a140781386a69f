// Pure codec between engineering values and register words: scale, word order, sentinels,
// saturation (DESIGN.md section 2). No I/O, no logging; tested table-driven.
#pragma once

#include <cstdint>
#include <span>

#include "vxbridge/core/value.hpp"
#include "vxbridge/register_map/register_map.hpp"

namespace vx::register_map {

enum class encode_status {
    ok,
    saturated,    // out of the type's range: clamped to the nearest value that is not a sentinel
    unavailable,  // no value (missing, NaN, text for a number): `out` holds the unavailable form
};

// Encodes v for entry e into out (out.size() == e.width()): register = round(v * scale).
encode_status encode(const register_entry& e, const core::value& v, std::span<std::uint16_t> out);

// The words a read returns for a missing value: SunSpec sentinel (0xFFFF, 0x8000, NaN, ...)
// or zeros, per e.unavailable. pad always reads 0xFFFF (as the GX's reserved registers do).
void encode_unavailable(const register_entry& e, std::span<std::uint16_t> out);

// Decodes what a device's registers hold (a client reading a meter): value = register / scale;
// none for the type's "not available" sentinel, NaN or too few words; strings lose trailing
// NULs and spaces.
core::value decode(const register_entry& e, std::span<const std::uint16_t> in);

enum class decode_error { none, not_a_number, out_of_range, not_in_enum, not_writable };

struct decoded_write {
    core::value v;  // engineering value = register / scale
    decode_error error = decode_error::none;
};

// Decodes words a client wrote to e and checks them against e's min, max and enum.
decoded_write decode_write(const register_entry& e, std::span<const std::uint16_t> in);

}  // namespace vx::register_map
