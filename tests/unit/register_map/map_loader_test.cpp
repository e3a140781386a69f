// The strict map loader: good maps load, every kind of mistake is reported with file:line:col,
// all of them at once; every map shipped under maps/ loads.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../support/temp_file.hpp"
#include "vxbridge/register_map/map_loader.hpp"

namespace rm = vx::register_map;

namespace {

const char* kHeader = "schema: 1\nname: t\ndriver: static\nregisters:\n";

std::string load_errors(const std::string& body, const char* header = kHeader) {
    vx::test::temp_dir dir;
    const auto file = dir.write("m.yaml", std::string(header) + body);
    vx::core::diagnostics d;
    auto m = rm::load_map(file, d);
    EXPECT_EQ(m == nullptr, !d.empty());
    std::string s;
    for (const auto& p : d.problems())
        s += std::to_string(p.line) + ":" + std::to_string(p.col) + ": " + p.message + "\n";
    return s;
}

TEST(map_loader, loads_a_good_map) {
    vx::test::temp_dir dir;
    const auto file = dir.write(
        "m.yaml",
        std::string(kHeader) +
            "  - {name: a, address: 0, type: u32, scale: 10, unit: V, access: rw, min: 0, max: 100,"
            " source: {ram: ubat, id: 4}, poll: fast, unavailable: zero, description: hi}\n"
            "  - {name: b, address: 2, type: string, length: 3, word_order: little}\n"
            "coils:\n  - {name: c, address: 5, access: rw}\n");
    vx::core::diagnostics d;
    const auto m = rm::load_map(file, d);
    ASSERT_TRUE(m) << d.to_string();
    ASSERT_EQ(m->holding.entries.size(), 2u);
    const auto& a = m->holding.entries[0];
    EXPECT_EQ(a.type, rm::value_type::u32);
    EXPECT_EQ(a.scale, 10);
    EXPECT_EQ(a.access, rm::access_mode::rw);
    EXPECT_EQ(*a.max, 100);
    ASSERT_TRUE(a.source);
    EXPECT_EQ(a.source->id(), "ram:ubat,id=4");
    EXPECT_EQ(a.poll, vx::core::poll_class::fast);
    EXPECT_EQ(a.unavailable, rm::unavailable_mode::zero);
    EXPECT_EQ(m->holding.entries[1].width(), 3u);
    EXPECT_EQ(m->holding.entries[1].order, rm::word_order::little);
    EXPECT_EQ(m->coils.entries.at(0).type, rm::value_type::bit);
    EXPECT_FALSE(m->separate_tables);
}

TEST(map_loader, separate_holding_and_input_tables) {
    vx::test::temp_dir dir;
    const auto file = dir.write("m.yaml",
                                "schema: 1\nname: t\ndriver: static\n"
                                "holding:\n  - {name: h, address: 0, type: f32, access: rw}\n"
                                "input:\n  - {name: i, address: 0, type: f32}\n");
    vx::core::diagnostics d;
    const auto m = rm::load_map(file, d);
    ASSERT_TRUE(m) << d.to_string();
    EXPECT_TRUE(m->separate_tables);
    EXPECT_EQ(m->table(rm::table_kind::input).entries.at(0).name, "i");
    EXPECT_EQ(m->table(rm::table_kind::holding).entries.at(0).name, "h");
}

struct bad_case {
    const char* body;
    const char* expected;  // "line:col: message part"
};

class map_errors : public ::testing::TestWithParam<bad_case> {};

TEST_P(map_errors, are_reported_with_position) {
    const auto errors = load_errors(GetParam().body);
    EXPECT_NE(errors.find(GetParam().expected), std::string::npos)
        << "expected '" << GetParam().expected << "' in:\n"
        << errors;
}

INSTANTIATE_TEST_SUITE_P(
    loader, map_errors,
    ::testing::Values(
        bad_case{"  - {name: a, address: 0, type: u16, colour: red}\n",
                 "5:38: unknown key 'colour'"},
        bad_case{"  - {name: a, address: 0, type: u17}\n", "5:33: unknown type 'u17'"},
        bad_case{"  - {name: a, address: 0, type: u16}\n  - {name: a, address: 1, type: u16}\n",
                 "6:5: duplicate name 'a'"},
        bad_case{"  - {name: a, address: 0, type: u32}\n  - {name: b, address: 1, type: u16}\n",
                 "6:5: 'b' at 1 overlaps 'a' (0..1)"},
        bad_case{"  - {name: a, address: 70000, type: u16}\n", "'address' must be in 0..65535"},
        bad_case{"  - {name: a, address: 65535, type: u32}\n", "runs past register 65535"},
        bad_case{"  - {name: a, address: 0, type: string}\n", "needs 'length'"},
        bad_case{"  - {name: a, address: 0, type: u16, length: 2}\n",
                 "'length' is only for string and pad"},
        bad_case{"  - {name: a, address: 0, type: string, length: 2, scale: 10}\n",
                 "'scale' needs a numeric type"},
        bad_case{"  - {name: a, address: 0, type: f32, enum: {0: off}}\n",
                 "'enum' needs an integer type"},
        bad_case{"  - {name: a, address: 0, type: u16, scale: 10, max: 7000}\n",
                 "'max' does not fit u16 at scale 10"},
        bad_case{"  - {name: a, address: 0, type: i16, min: -40000}\n", "'min' does not fit i16"},
        bad_case{"  - {name: a, address: 0, type: u16, min: 5, max: 1}\n",
                 "'min' is greater than 'max'"},
        bad_case{"  - {name: a, address: 0, type: pad, length: 1, access: rw}\n",
                 "pad registers are read-only"},
        bad_case{"  - {name: a, address: 0, type: u16, persist: true}\n",
                 "'persist' is only meaningful with access: rw"},
        bad_case{"  - {name: a, address: 0, type: u16, access: w}\n",
                 "'access' must be one of r, rw, not 'w'"},
        bad_case{"  - {name: a, address: 0, type: u16, poll: often}\n",
                 "'poll' must be one of fast, normal, slow, once"},
        bad_case{"  - {name: a, address: 0, type: u16, scale: 0}\n", "'scale' must not be 0"},
        bad_case{"  - {name: a, address: 0, type: u16, source: ubat}\n",
                 "'source' must be a mapping"},
        bad_case{"  - {name: 'a b', address: 0, type: u16}\n", "must be letters, digits"},
        bad_case{"  - {address: 0, type: u16}\n", "needs 'name'"},
        bad_case{"  - {name: a, address: 0, type: u16\n", "YAML syntax"}));

TEST(map_loader, collects_every_problem_before_failing) {
    const auto errors = load_errors(
        "  - {name: a, address: 0, type: u17}\n"
        "  - {name: b, address: x, type: u16}\n"
        "  - {name: c, address: 3, type: u16, colour: red}\n");
    EXPECT_NE(errors.find("5:"), std::string::npos) << errors;
    EXPECT_NE(errors.find("6:"), std::string::npos) << errors;
    EXPECT_NE(errors.find("7:"), std::string::npos) << errors;
}

TEST(map_loader, top_level_problems) {
    EXPECT_NE(load_errors("", "schema: 2\nname: t\ndriver: static\nregisters: []\n")
                  .find("'schema' must be in 1..1"),
              std::string::npos);
    EXPECT_NE(load_errors("", "schema: 1\ndriver: static\nregisters: []\n").find("needs 'name'"),
              std::string::npos);
    EXPECT_NE(load_errors("", "schema: 1\nname: t\ndriver: static\nregisters: []\nholding: []\n")
                  .find("either 'registers' or 'holding'"),
              std::string::npos);
    EXPECT_NE(load_errors("", "- 1\n- 2\n").find("must be a mapping"), std::string::npos);
}

TEST(map_loader, missing_file_is_a_problem_not_a_crash) {
    vx::core::diagnostics d;
    EXPECT_FALSE(rm::load_map("/nonexistent/m.yaml", d));
    ASSERT_FALSE(d.empty());
    EXPECT_NE(d.to_string().find("cannot open file"), std::string::npos);
}

TEST(map_loader, every_shipped_map_loads) {
    int count = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(
             std::filesystem::path(VXBRIDGE_SOURCE_DIR) / "maps")) {
        if (f.path().extension() != ".yaml") continue;
        vx::core::diagnostics d;
        EXPECT_TRUE(rm::load_map(f.path().string(), d)) << d.to_string();
        ++count;
    }
    EXPECT_GT(count, 0);
}

}  // namespace

namespace {

// Inputs the fuzzers found crashing a loader (tests/regressions): now they give problems.
TEST(loaders, fuzz_regressions_give_problems_not_crashes) {
    int count = 0;
    for (const auto& f : std::filesystem::directory_iterator(
             std::filesystem::path(VXBRIDGE_SOURCE_DIR) / "tests" / "regressions")) {
        vx::core::diagnostics map_problems;
        EXPECT_NO_THROW(rm::load_map(f.path().string(), map_problems)) << f.path();
        EXPECT_FALSE(map_problems.empty()) << f.path();
        ++count;
    }
    EXPECT_GT(count, 0);
}

}  // namespace
