// The register image on its read path: a value that goes missing or stale shows on the very next
// read of a range the image has seen before (the image caches the oldest stamp per range).
#include <gtest/gtest.h>

#include "../../support/temp_file.hpp"
#include "vxbridge/register_map/map_loader.hpp"
#include "vxbridge/register_map/register_image.hpp"

namespace rm = vx::register_map;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<const rm::register_map> map_with_max_age(const std::string& age) {
    static vx::test::temp_dir dir;
    return rm::load_map_or_throw(dir.write(
        "m" + age + ".yaml", "schema: 1\nname: m\ndriver: static\nmax_age: " + age +
                                 "\nregisters:\n"
                                 "  - {name: a, address: 0, type: u16}\n"
                                 "  - {name: b, address: 1, type: u16, unavailable: exception}\n"
                                 "  - {name: c, address: 2, type: u32}\n"));
}

std::vector<std::uint16_t> read(const rm::register_image& img, rm::clock::time_point now,
                                rm::read_status* st = nullptr) {
    std::vector<std::uint16_t> out(4);
    const auto s = img.read_registers(rm::table_kind::holding, 0, out, now);
    if (st) *st = s;
    return out;
}

}  // namespace

TEST(register_image, a_value_that_goes_missing_reads_missing_at_once) {
    rm::register_image img(map_with_max_age("0"));
    const auto t = rm::clock::now();
    for (std::uint32_t i = 0; i < 3; ++i)
        img.update({rm::table_kind::holding, i}, std::int64_t{7}, t);
    EXPECT_EQ(read(img, t), (std::vector<std::uint16_t>{7, 7, 0, 7}));
    EXPECT_EQ(read(img, t), (std::vector<std::uint16_t>{7, 7, 0, 7}));  // from the cached range
    img.update({rm::table_kind::holding, 1}, vx::core::value{}, t);     // b: no value any more
    rm::read_status st{};
    read(img, t, &st);
    EXPECT_EQ(st, rm::read_status::unavailable);  // b's map says: an exception
    img.update({rm::table_kind::holding, 1}, std::int64_t{9}, t);
    EXPECT_EQ(read(img, t, &st), (std::vector<std::uint16_t>{7, 9, 0, 7}));
    EXPECT_EQ(st, rm::read_status::ok);
}

TEST(register_image, values_go_stale_after_max_age_between_two_reads_of_a_range) {
    rm::register_image img(map_with_max_age("5"));
    const auto t = rm::clock::now();
    for (std::uint32_t i = 0; i < 3; ++i)
        img.update({rm::table_kind::holding, i}, std::int64_t{7}, t);
    EXPECT_EQ(read(img, t + 1s), (std::vector<std::uint16_t>{7, 7, 0, 7}));
    rm::read_status st{};
    read(img, t + 6s, &st);
    EXPECT_EQ(st, rm::read_status::unavailable);  // b stale: an exception, as its map says
    img.update({rm::table_kind::holding, 0}, std::int64_t{8}, t + 6s);  // only a is refreshed
    EXPECT_EQ(read(img, t + 7s, &st)[0], 8);
    EXPECT_EQ(st, rm::read_status::unavailable);
    img.update({rm::table_kind::holding, 1}, std::int64_t{6}, t + 6s);
    EXPECT_EQ(read(img, t + 7s), (std::vector<std::uint16_t>{8, 6, 0xFFFF, 0xFFFF}));
    // A value with an older stamp than the one it replaces (a late publication) counts as old.
    img.update({rm::table_kind::holding, 1}, std::int64_t{5}, t + 7s);
    img.update({rm::table_kind::holding, 2}, std::int64_t{5}, t + 7s);
    EXPECT_EQ(read(img, t + 8s), (std::vector<std::uint16_t>{8, 5, 0, 5}));
    img.update({rm::table_kind::holding, 1}, std::int64_t{4}, t);
    read(img, t + 8s, &st);
    EXPECT_EQ(st, rm::read_status::unavailable);
}
