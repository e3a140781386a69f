// Table-driven tests of the value codec: scale, word order, sentinels, saturation, decoding.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "vxbridge/register_map/value_codec.hpp"

namespace rm = vx::register_map;
using vx::core::value;
using words = std::vector<std::uint16_t>;

namespace {

rm::register_entry entry(rm::value_type t, double scale = 1, rm::word_order o = rm::word_order::big,
                         unsigned length = 1) {
    rm::register_entry e;
    e.name = "x";
    e.type = t;
    e.scale = scale;
    e.order = o;
    e.length = length;
    e.access = rm::access_mode::rw;
    return e;
}

struct encode_case {
    const char* what;
    rm::register_entry e;
    value v;
    words expected;
    rm::encode_status status;
};

class encode_test : public ::testing::TestWithParam<encode_case> {};

TEST_P(encode_test, encodes) {
    const auto& c = GetParam();
    words out(c.e.width(), 0xDEAD);
    EXPECT_EQ(rm::encode(c.e, c.v, out), c.status) << c.what;
    EXPECT_EQ(out, c.expected) << c.what;
}

using T = rm::value_type;
constexpr auto little = rm::word_order::little;
const auto kOk = rm::encode_status::ok;
const auto kSat = rm::encode_status::saturated;
const auto kNone = rm::encode_status::unavailable;

INSTANTIATE_TEST_SUITE_P(
    codec, encode_test,
    ::testing::Values(
        encode_case{"u16 scale 10 rounds", entry(T::u16, 10), 230.44, {2304}, kOk},
        encode_case{"u16 rounds half away from zero", entry(T::u16, 10), 230.45, {2305}, kOk},
        encode_case{"i16 negative", entry(T::i16, 10), -12.5, {0xFF83}, kOk},
        encode_case{"i16 rounds -0.05 to -1 at scale 10", entry(T::i16, 10), -0.05, {0xFFFF}, kOk},
        encode_case{
            "u16 saturates below the 0xFFFF sentinel", entry(T::u16), 70000.0, {0xFFFE}, kSat},
        encode_case{"u16 negative saturates to 0", entry(T::u16), -5.0, {0}, kSat},
        encode_case{"i16 saturates at -32767, not the 0x8000 sentinel",
                    entry(T::i16),
                    -40000.0,
                    {0x8001},
                    kSat},
        encode_case{"i16 saturates at +32767", entry(T::i16), 40000.0, {0x7FFF}, kSat},
        encode_case{
            "u32 big-endian words", entry(T::u32), std::int64_t{0x12345678}, {0x1234, 0x5678}, kOk},
        encode_case{"u32 little word order",
                    entry(T::u32, 1, little),
                    std::int64_t{0x12345678},
                    {0x5678, 0x1234},
                    kOk},
        encode_case{"i32 negative", entry(T::i32), std::int64_t{-1500}, {0xFFFF, 0xFA24}, kOk},
        encode_case{
            "i32 saturates clear of 0x80000000", entry(T::i32), -3e9, {0x8000, 0x0001}, kSat},
        encode_case{"u64 exact integer",
                    entry(T::u64),
                    std::int64_t{123456789012},
                    {0, 0x1C, 0xBE99, 0x1A14},
                    kOk},
        encode_case{"i64 exact negative",
                    entry(T::i64),
                    std::int64_t{-42},
                    {0xFFFF, 0xFFFF, 0xFFFF, 0xFFD6},
                    kOk},
        encode_case{"f32 IEEE high word first", entry(T::f32), 21.5, {0x41AC, 0x0000}, kOk},
        encode_case{"f32 little", entry(T::f32, 1, little), 21.5, {0x0000, 0x41AC}, kOk},
        encode_case{
            "f32 scale applies without rounding", entry(T::f32, 0.5), 3.0, {0x3FC0, 0x0000}, kOk},
        encode_case{"f32 saturates to FLT_MAX", entry(T::f32), 1e300, {0x7F7F, 0xFFFF}, kSat},
        encode_case{"f64", entry(T::f64), 1.0, {0x3FF0, 0, 0, 0}, kOk},
        encode_case{"string 2 chars per register, zero-filled",
                    entry(T::string, 1, rm::word_order::big, 3),
                    std::string("ABCD"),
                    {0x4142, 0x4344, 0},
                    kOk},
        encode_case{"string truncated",
                    entry(T::string, 1, rm::word_order::big, 1),
                    std::string("ABC"),
                    {0x4142},
                    kSat},
        encode_case{"missing u16 -> 0xFFFF", entry(T::u16), value{}, {0xFFFF}, kNone},
        encode_case{"missing i16 -> 0x8000", entry(T::i16), value{}, {0x8000}, kNone},
        encode_case{"missing i32 -> 0x80000000", entry(T::i32), value{}, {0x8000, 0}, kNone},
        encode_case{"missing u64 -> all ones",
                    entry(T::u64),
                    value{},
                    {0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF},
                    kNone},
        encode_case{"NaN f32 -> quiet NaN", entry(T::f32), std::nan(""), {0x7FC0, 0}, kNone},
        encode_case{
            "text for a number -> unavailable", entry(T::u16), std::string("x"), {0xFFFF}, kNone},
        encode_case{"missing string -> zeros",
                    entry(T::string, 1, rm::word_order::big, 2),
                    value{},
                    {0, 0},
                    kNone},
        encode_case{"pad reads 0xFFFF",
                    entry(T::pad, 1, rm::word_order::big, 2),
                    value{},
                    {0xFFFF, 0xFFFF},
                    kOk}));

TEST(codec, unavailable_zero_mode_reads_zero) {
    auto e = entry(T::i32);
    e.unavailable = rm::unavailable_mode::zero;
    words out(2, 0xDEAD);
    EXPECT_EQ(rm::encode(e, value{}, out), kNone);
    EXPECT_EQ(out, (words{0, 0}));
}

struct decode_case {
    const char* what;
    rm::register_entry e;
    words in;
    value expected;
    rm::decode_error error;
};

class decode_test : public ::testing::TestWithParam<decode_case> {};

TEST_P(decode_test, decodes) {
    const auto& c = GetParam();
    const auto d = rm::decode_write(c.e, c.in);
    EXPECT_EQ(d.error, c.error) << c.what;
    if (c.error == rm::decode_error::none) {
        EXPECT_EQ(d.v, c.expected) << c.what;
    }
}

rm::register_entry limited(rm::value_type t, double scale, double lo, double hi) {
    auto e = entry(t, scale);
    e.min = lo;
    e.max = hi;
    return e;
}

rm::register_entry with_enum() {
    auto e = entry(T::u16);
    e.enumeration = {{1, "a"}, {3, "c"}};
    return e;
}

rm::register_entry read_only() {
    auto e = entry(T::u16);
    e.access = rm::access_mode::r;
    return e;
}

const auto kFine = rm::decode_error::none;

INSTANTIATE_TEST_SUITE_P(
    codec, decode_test,
    ::testing::Values(
        decode_case{"i16 scale 1 stays integer", entry(T::i16), {0xFFD6}, std::int64_t{-42}, kFine},
        decode_case{"u16 scale 10 divides", entry(T::u16, 10), {2304}, 230.4, kFine},
        decode_case{"u32 big", entry(T::u32), {0x0001, 0x0002}, std::int64_t{65538}, kFine},
        decode_case{
            "u32 little", entry(T::u32, 1, little), {0x0002, 0x0001}, std::int64_t{65538}, kFine},
        decode_case{"i32 negative", entry(T::i32), {0xFFFF, 0xFA24}, std::int64_t{-1500}, kFine},
        decode_case{"f32", entry(T::f32), {0x41AC, 0}, 21.5, kFine},
        decode_case{"f32 NaN is refused",
                    entry(T::f32),
                    {0x7FC0, 0},
                    value{},
                    rm::decode_error::not_a_number},
        decode_case{"inside min/max",
                    limited(T::i16, 1, -3000, 3000),
                    {0xF448},
                    std::int64_t{-3000},
                    kFine},
        decode_case{"below min",
                    limited(T::i16, 1, -3000, 3000),
                    {0xF447},
                    value{},
                    rm::decode_error::out_of_range},
        decode_case{"above max after scale",
                    limited(T::u16, 10, 0, 100),
                    {1001},
                    value{},
                    rm::decode_error::out_of_range},
        decode_case{"enum member", with_enum(), {3}, std::int64_t{3}, kFine},
        decode_case{"not an enum member", with_enum(), {2}, value{}, rm::decode_error::not_in_enum},
        decode_case{"string",
                    entry(T::string, 1, rm::word_order::big, 2),
                    {0x6162, 0x6300},
                    std::string("abc"),
                    kFine},
        decode_case{"read-only", read_only(), {1}, value{}, rm::decode_error::not_writable}));

TEST(codec, round_trip_every_numeric_type) {
    for (auto t : {T::u16, T::i16, T::u32, T::i32, T::u64, T::i64, T::f32, T::f64}) {
        const auto e = entry(t, 1);
        words w(e.width());
        const value v = std::int64_t{1234};
        ASSERT_EQ(rm::encode(e, v, w), kOk) << rm::name_of(t);
        const auto d = rm::decode_write(e, w);
        ASSERT_EQ(d.error, kFine);
        EXPECT_EQ(vx::core::as_double(d.v), 1234.0) << rm::name_of(t);
    }
}

}  // namespace
