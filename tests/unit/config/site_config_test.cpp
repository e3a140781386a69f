// The site config loader: a good config, every error with file:line:col, maps relative to the
// config file, and the shipped configs.
#include <gtest/gtest.h>

#include <filesystem>

#include "../../support/temp_file.hpp"
#include "vxbridge/app/drivers.hpp"
#include "vxbridge/config/site_config.hpp"
#include "vxbridge/devices/static_driver/static_options.hpp"
#include "vxbridge/register_map/yaml_fields.hpp"

namespace cfg = vx::config;

namespace {

const char* kMap =
    "schema: 1\nname: m\ndriver: static\nregisters:\n  - {name: a, address: 0, type: u16}\n";

std::string errors_of(const std::string& config) {
    vx::test::temp_dir dir;
    dir.write("m.yaml", kMap);
    const auto file = dir.write("site.yaml", config);
    vx::core::diagnostics d;
    cfg::load_site_config(file, d, vx::app::drivers());
    std::string s;
    for (const auto& p : d.problems())
        s += std::to_string(p.line) + ":" + std::to_string(p.col) + ": " + p.message + "\n";
    return s;
}

TEST(site_config, loads_and_resolves_maps_next_to_the_config) {
    vx::test::temp_dir dir;
    std::filesystem::create_directory(dir.path() / "maps");
    dir.write("maps/m.yaml", kMap);
    const auto file =
        dir.write("site.yaml",
                  "modbus:\n  listen: 127.0.0.1:15020\n  max_connections: 8\n  idle_timeout: 30\n"
                  "  allow: [127.0.0.0/8, '::1']\n  read_only: true\n"
                  "  rtu: {port: /dev/ttyS0, baud: 9600, parity: none, stop_bits: 1, unit_id: 3}\n"
                  "devices:\n  mem: {driver: static, latency: 0.25}\n"
                  "units:\n  - {unit_id: 1, device: mem, map: maps/m.yaml}\nlog: {level: debug}\n");
    vx::core::diagnostics d;
    const auto site = cfg::load_site_config(file, d, vx::app::drivers());
    ASSERT_TRUE(d.empty()) << d.to_string();
    EXPECT_EQ(*site.modbus.listen, "127.0.0.1:15020");
    EXPECT_EQ(site.modbus.max_connections, 8u);
    EXPECT_TRUE(site.modbus.read_only);
    ASSERT_EQ(site.modbus.rtu.size(), 1u);
    EXPECT_EQ(site.modbus.rtu[0].parity, 'N');
    EXPECT_EQ(site.modbus.rtu[0].units, std::vector<int>{3});
    const auto& o = *vx::devices::options_as<vx::devices::static_driver::static_options>(
        site.devices.at("mem").options);
    EXPECT_EQ(o.latency, std::chrono::milliseconds(250));
    ASSERT_EQ(site.units.size(), 1u);
    ASSERT_TRUE(site.units[0].map);
    EXPECT_EQ(site.units[0].map->name, "m");
    EXPECT_EQ(site.log.level, "debug");
}

struct bad_case {
    const char* config;
    const char* expected;
};

class config_errors : public ::testing::TestWithParam<bad_case> {};

TEST_P(config_errors, name_file_line_and_key) {
    const auto e = errors_of(GetParam().config);
    EXPECT_NE(e.find(GetParam().expected), std::string::npos)
        << "expected '" << GetParam().expected << "' in:\n"
        << e;
}

INSTANTIATE_TEST_SUITE_P(
    loader, config_errors,
    ::testing::Values(
        bad_case{"modbus: {listen: 127.0.0.1:1, colour: red}\nunits: []\n",
                 "1:31: unknown key 'colour' in modbus"},
        bad_case{"units:\n  - {unit_id: 1, device: nope, map: m.yaml}\n",
                 "2:26: no device named 'nope'"},
        bad_case{
            "devices: {mem: {driver: static}}\nunits:\n  - {unit_id: 1, device: mem, map: m.yaml}\n"
            "  - {unit_id: 1, device: mem, map: m.yaml}\n",
            "4:15: unit id 1 is used twice"},
        bad_case{"devices: {mem: {driver: static}}\nunits:\n  - {unit_id: 300, device: mem, map: "
                 "m.yaml}\n",
                 "'unit_id' must be in 0..255"},
        bad_case{"devices: {mem: {driver: static}}\nunits:\n  - {unit_id: 1, device: mem, map: "
                 "nope.yaml}\n",
                 "not found"},
        bad_case{"devices: {x: {driver: warp}}\nunits: []\n", "unknown driver 'warp'"},
        bad_case{"devices: {mem: {driver: static, speed: 3}}\nunits: []\n",
                 "unknown key 'speed' in device 'mem'"},
        bad_case{"modbus: {allow: [10.0.0.0/33]}\nunits: []\n", "is not an address or CIDR"},
        bad_case{"modbus: {idle_timeout: -1}\nunits: []\n", "'idle_timeout' must be between"},
        bad_case{"modbus: {listen: ~}\nunits: []\n",
                 "modbus needs 'listen', 'rtu' or 'rtu_over_tcp'"},
        bad_case{"modbus: {rtu: [{port: /dev/a}, {port: /dev/a}]}\nunits: []\n",
                 "port /dev/a is listed twice"},
        bad_case{"modbus: {rtu: {port: /dev/a, units: [11, 0]}}\nunits: []\n",
                 "a unit id is 1..247"},
        bad_case{"modbus: {rtu: {port: /dev/x, parity: mark}}\nunits: []\n",
                 "'parity' must be one of none, even, odd"},
        bad_case{"devices: {}\n", "a site config needs 'units'"},
        bad_case{"log: {level: loud}\nunits: []\n", "'level' must be one of"},
        // A misspelt key names the closest known one (issue 10.4).
        bad_case{"modbus: {listen: 127.0.0.1:1, max_conections: 3}\nunits: []\n",
                 "unknown key 'max_conections' in modbus (did you mean 'max_connections'?)"},
        bad_case{"modbus: {listen: 127.0.0.1:1}\nunit: []\n",
                 "unknown key 'unit' in a site config (did you mean 'units'?)"},
        bad_case{"modbus: {listen: 127.0.0.1:1, colour: red}\nunits: []\n",
                 "unknown key 'colour' in modbus\n"},
        bad_case{"modbus: {listen: 127.0.0.1:1, unit0_alias: 300}\nunits: []\n",
                 "'unit0_alias' must be in 1..247"},
        // The web view (issue 17).
        bad_case{"web: {listen: 8080}\nunits: []\n", "1:15: 'listen' needs HOST:PORT"},
        bad_case{"web: {port: 8080}\nunits: []\n", "unknown key 'port' in web"},
        bad_case{"web: {listen: 127.0.0.1:8080, max_connections: 0}\nunits: []\n",
                 "'max_connections' must be in 1..1024"}));

TEST(site_config, the_web_view_is_off_unless_it_listens) {
    vx::test::temp_dir dir;
    vx::core::diagnostics d;
    auto site = cfg::load_site_config(dir.write("a.yaml", "units: []\n"), d, vx::app::drivers());
    EXPECT_FALSE(site.web.listen);
    site = cfg::load_site_config(
        dir.write("b.yaml", "web: {listen: 127.0.0.1:8080, max_connections: 8}\nunits: []\n"), d,
        vx::app::drivers());
    ASSERT_TRUE(d.empty()) << d.to_string();
    EXPECT_EQ(site.web.listen, "127.0.0.1:8080");
    EXPECT_EQ(site.web.max_connections, 8u);
}

TEST(site_config, unit0_alias_is_auto_off_or_a_unit) {
    for (const auto& [text, expected] :
         std::vector<std::pair<std::string, int>>{{"", -1},
                                                  {"  unit0_alias: auto\n", -1},
                                                  {"  unit0_alias: off\n", 0},
                                                  {"  unit0_alias: 100\n", 100}}) {
        vx::test::temp_dir dir;
        const auto file =
            dir.write("site.yaml", "modbus:\n  listen: 127.0.0.1:1\n" + text + "units: []\n");
        vx::core::diagnostics d;
        const auto site = cfg::load_site_config(file, d, vx::app::drivers());
        ASSERT_TRUE(d.empty()) << d.to_string();
        EXPECT_EQ(site.modbus.unit0_alias, expected) << text;
    }
}

TEST(site_config, map_errors_come_with_the_map_file_position) {
    vx::test::temp_dir dir;
    dir.write(
        "bad.yaml",
        "schema: 1\nname: m\ndriver: static\nregisters:\n  - {name: a, address: 0, type: u99}\n");
    const auto file = dir.write(
        "site.yaml",
        "devices: {mem: {driver: static}}\nunits:\n  - {unit_id: 1, device: mem, map: bad.yaml}\n");
    vx::core::diagnostics d;
    cfg::load_site_config(file, d, vx::app::drivers());
    ASSERT_EQ(d.problems().size(), 1u) << d.to_string();
    EXPECT_NE(d.problems()[0].file.find("bad.yaml"), std::string::npos);
    EXPECT_EQ(d.problems()[0].line, 5);
}

// Maps load in parallel: the problems still come once per file, in config order, and a map two
// units share is loaded once.
TEST(site_config, parallel_map_loading_reports_in_config_order_and_shares_maps) {
    vx::test::temp_dir dir;
    const std::string bad = "schema: 1\nname: m\ndriver: static\nregisters:\n";
    dir.write("z.yaml", bad + "  - {name: a, address: 0, type: u99}\n");
    dir.write("a.yaml", bad + "\n  - {name: a, address: 0, type: u77}\n");
    dir.write("m.yaml", kMap);
    const auto file = dir.write("site.yaml",
                                "devices: {mem: {driver: static}}\nunits:\n"
                                "  - {unit_id: 1, device: mem, map: z.yaml}\n"
                                "  - {unit_id: 2, device: mem, map: m.yaml}\n"
                                "  - {unit_id: 3, device: mem, map: a.yaml}\n"
                                "  - {unit_id: 4, device: mem, map: z.yaml}\n"
                                "  - {unit_id: 5, device: mem, map: ./m.yaml}\n");
    vx::core::diagnostics d;
    const auto site = cfg::load_site_config(file, d, vx::app::drivers());
    ASSERT_EQ(d.problems().size(), 2u) << d.to_string();
    EXPECT_NE(d.problems()[0].file.find("z.yaml"), std::string::npos);
    EXPECT_NE(d.problems()[0].message.find("u99"), std::string::npos);
    EXPECT_NE(d.problems()[1].file.find("a.yaml"), std::string::npos);
    EXPECT_EQ(d.problems()[1].line, 6);
    ASSERT_EQ(site.units.size(), 5u);
    ASSERT_TRUE(site.units[1].map);
    EXPECT_EQ(site.units[1].map, site.units[4].map);
}

TEST(site_config, shipped_configs_load) {
    for (const auto& f : std::filesystem::directory_iterator(
             std::filesystem::path(VXBRIDGE_SOURCE_DIR) / "config")) {
        if (f.path().extension() != ".yaml") continue;
        vx::core::diagnostics d;
        cfg::load_site_config(f.path().string(), d, vx::app::drivers());
        EXPECT_TRUE(d.empty()) << f.path() << "\n" << d.to_string();
    }
}

}  // namespace

namespace {

TEST(site_config, fuzz_regressions_give_problems_not_crashes) {
    for (const auto& f : std::filesystem::directory_iterator(
             std::filesystem::path(VXBRIDGE_SOURCE_DIR) / "tests" / "regressions")) {
        vx::core::diagnostics d;
        EXPECT_NO_THROW(cfg::load_site_config(f.path().string(), d, vx::app::drivers()))
            << f.path();
        EXPECT_FALSE(d.empty()) << f.path();
    }
}

TEST(site_config, complex_keys_and_scalars_where_maps_belong) {
    for (const char* text : {"devices: {x: 5}\nunits: []\n", "? [a, b]\n: 1\nunits: []\n",
                             "devices:\n  ? {a: 1}\n  : {driver: static}\nunits: []\n",
                             "devices: {x: {driver: xcom, transport: {? [1]: 2}}}\nunits: []\n"}) {
        const auto e = errors_of(text);
        EXPECT_FALSE(e.empty()) << text;
    }
}

}  // namespace

// A driver is known to the loader only through the registry: a registration is all it takes.
TEST(site_config, a_registered_driver_reads_its_own_options) {
    struct probe_options {
        long long level = 0;
        bool operator==(const probe_options&) const = default;
    };
    vx::devices::driver_registry registry;
    vx::devices::driver_info probe;
    probe.name = "probe";
    probe.keys = {"level"};
    probe.read_options = [](vx::register_map::yaml_fields& f) {
        probe_options o;
        if (auto l = f.integer("level", 0, 9)) o.level = *l;
        return std::make_shared<vx::devices::options_of<probe_options>>(o);
    };
    registry.add(probe);
    vx::test::temp_dir dir;
    dir.write("m.yaml", kMap);
    const auto good =
        dir.write("good.yaml", "devices: {p: {driver: probe, level: 7}}\nunits: []\n");
    vx::core::diagnostics d;
    const auto site = cfg::load_site_config(good, d, registry);
    ASSERT_TRUE(d.empty()) << d.to_string();
    EXPECT_EQ(vx::devices::options_as<probe_options>(site.devices.at("p").options)->level, 7);
    const auto bad = dir.write("bad.yaml",
                               "devices: {p: {driver: probe, levle: 7}, q: {driver: static}}\n"
                               "units: []\n");
    vx::core::diagnostics d2;
    cfg::load_site_config(bad, d2, registry);
    EXPECT_NE(d2.to_string().find("unknown key 'levle' in device 'p' (did you mean 'level'?)"),
              std::string::npos)
        << d2.to_string();
    EXPECT_NE(d2.to_string().find("unknown driver 'static' (known: probe)"), std::string::npos)
        << d2.to_string();
}
