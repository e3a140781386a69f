// Grid meters (driver modbus): the shipped device maps, the read plan and its decoding on
// register words computed from the vendor tables (protocols/ess-and-grid-meters.md section 3),
// the simulated meter, and the option reader's errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include "vxbridge/config/site_config.hpp"

#include "vxbridge/devices/modbus_client/client_device.hpp"
#include "vxbridge/devices/modbus_client/client_options.hpp"
#include "vxbridge/devices/modbus_client/meter_sim.hpp"
#include "vxbridge/devices/modbus_client/read_plan.hpp"
#include "vxbridge/register_map/map_loader.hpp"

namespace {

using namespace vx::devices::modbus_client;
using vx::core::value;
using words = std::vector<std::uint16_t>;

std::shared_ptr<const vx::register_map::register_map> shipped(const std::string& model) {
    return vx::register_map::load_map_or_throw(std::string(VXBRIDGE_SOURCE_DIR) + "/maps/meters/" +
                                               model + ".yaml");
}

double num(const value& v) {
    return vx::core::as_double(v).value_or(-99999);
}

TEST(MeterMaps, EveryShippedModelNamesTheSamePointsAndFitsItsRequests) {
    for (const auto& model : shipped_models()) {
        SCOPED_TRACE(model);
        const auto m = shipped(model);
        EXPECT_EQ(m->driver, "modbus");
        std::set<std::string> names;
        for (const auto& [k, e] : m->all_entries()) names.insert(e->name);
        for (const char* p : {"power", "power_l1", "power_l2", "power_l3", "voltage_l1",
                              "voltage_l2", "voltage_l3", "current_l1", "current_l2", "current_l3",
                              "energy_import", "energy_export", "frequency"})
            EXPECT_TRUE(names.contains(p)) << p;
        for (const auto& n : names)
            EXPECT_NE(std::find(meter_points().begin(), meter_points().end(), n),
                      meter_points().end())
                << n << " is not in the shared vocabulary";
        const read_plan plan(*m);
        for (const auto& b : plan.blocks()) EXPECT_LE(b.count, m->max_read);
    }
}

TEST(MeterMaps, Em24ImportEnergyIsTheTotalNotThePartialCounter) {
    const auto m = shipped("em24");
    for (const auto& [k, e] : m->all_entries()) {
        if (e->name == "energy_import") {
            EXPECT_EQ(e->address, 0x3E);
        }
    }
}

TEST(ReadPlan, Em24ReadsAtMost11RegistersAndDecodesLowWordFirst) {
    const auto m = shipped("em24");
    const read_plan plan(*m);
    const auto every = plan.due(1, 10, {});
    ASSERT_FALSE(every.empty());
    EXPECT_EQ(every.front()->start, 0);
    // Find the block with W L1 (0x12) and feed it -1234.5 W = -12345 = 0xFFFFCFC7, low word first.
    std::map<std::string, value> out;
    for (const auto& b : plan.blocks()) {
        words w(b.count, 0);
        for (const auto* e : b.entries) {
            const auto off = e->address - b.start;
            if (e->name == "power_l1") w[off] = 0xCFC7, w[off + 1] = 0xFFFF;
            if (e->name == "current_l1") w[off] = 5367, w[off + 1] = 0;  // 5.367 A, unsigned
            if (e->name == "voltage_l1") w[off] = 2301, w[off + 1] = 0;  // 230.1 V
            if (e->name == "frequency") w[off] = 500;                    // 50.0 Hz (INT16)
        }
        read_plan::decode(b, w, out);
    }
    plan.apply_signs(out);
    EXPECT_DOUBLE_EQ(num(out["power_l1"]), -1234.5);
    EXPECT_DOUBLE_EQ(num(out["current_l1"]), -5.367) << "takes the sign of its phase power";
    EXPECT_DOUBLE_EQ(num(out["voltage_l1"]), 230.1);
    EXPECT_DOUBLE_EQ(num(out["frequency"]), 50.0);
}

TEST(ReadPlan, Sdm630IsOneInputRequestOfBigEndianFloats) {
    const auto m = shipped("sdm630");
    const read_plan plan(*m);
    const auto every = plan.due(1, 10, {});
    ASSERT_EQ(every.size(), 1u) << "0x00..0x4B in one request (max_gap spans the rest)";
    EXPECT_TRUE(every.front()->input);
    EXPECT_EQ(every.front()->count, 0x46 + 2);
    words w(every.front()->count, 0);
    w[0x00] = 0x4366, w[0x01] = 0x8000;  // 230.5 V
    w[0x0C] = 0xC4FA, w[0x0D] = 0x0000;  // -2000 W on L1
    w[0x06] = 0x4110, w[0x07] = 0x0000;  // 9 A
    std::map<std::string, value> out;
    read_plan::decode(*every.front(), w, out);
    plan.apply_signs(out);
    EXPECT_DOUBLE_EQ(num(out["voltage_l1"]), 230.5);
    EXPECT_DOUBLE_EQ(num(out["power_l1"]), -2000);
    EXPECT_DOUBLE_EQ(num(out["current_l1"]), -9);
    // Slow blocks (energies) every 10th cycle, once-blocks until read.
    EXPECT_GT(plan.due(0, 10, {}).size(), every.size());
}

TEST(ReadPlan, NotAvailableSentinelsReadAsMissing) {
    const auto m = shipped("em24");
    const read_plan plan(*m);
    std::map<std::string, value> out;
    for (const auto& b : plan.blocks()) {
        words w(b.count, 0);
        for (const auto* e : b.entries)
            if (e->name == "power")
                w[e->address - b.start] = 0, w[e->address - b.start + 1] = 0x8000;
        read_plan::decode(b, w, out);
    }
    EXPECT_FALSE(vx::core::has_value(out["power"]));
}

TEST(MeterSim, AnswersLikeTheMeterItFollows) {
    meter_sim sim(shipped("em24"));
    const auto t = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    sim.update({-1500, 200, 0}, t);
    // FC3 at 0x12, 2 registers: L1 power, INT32 x10 low word first = -15000 = 0xFFFFC568.
    auto r = sim.handle(std::vector<std::uint8_t>{0x03, 0x00, 0x12, 0x00, 0x02});
    EXPECT_EQ(r, (std::vector<std::uint8_t>{0x03, 0x04, 0xC5, 0x68, 0xFF, 0xFF}));
    // The current has no sign on an EM24.
    r = sim.handle(std::vector<std::uint8_t>{0x03, 0x00, 0x0C, 0x00, 0x02});
    ASSERT_EQ(r.size(), 6u);
    EXPECT_LT(r[4], 0x80);
    EXPECT_EQ(sim.handle(std::vector<std::uint8_t>{0x03, 0x00, 0x00, 0x00, 12}),
              (std::vector<std::uint8_t>{0x83, 0x03}))
        << "more than 11 registers: illegal data value";
    EXPECT_EQ(sim.handle(std::vector<std::uint8_t>{0x03, 0x20, 0x00, 0x00, 1}),
              (std::vector<std::uint8_t>{0x83, 0x02}))
        << "nothing there";
    EXPECT_EQ(sim.handle(std::vector<std::uint8_t>{0x06, 0x00, 0x00, 0x00, 1}),
              (std::vector<std::uint8_t>{0x86, 0x01}));
    // One hour at -1500 / +200 W: the counters move by 1.5 kWh export and 0.2 kWh import.
    const auto before = sim.values();
    sim.update({-1500, 200, 0}, t + std::chrono::hours(1));
    const auto after = sim.values();
    EXPECT_NEAR(num(after.at("energy_export_l1")) - num(before.at("energy_export_l1")), 1.5, 1e-9);
    EXPECT_NEAR(num(after.at("energy_import")) - num(before.at("energy_import")), 0.2, 1e-9);
}

class MeterOptions : public ::testing::Test {
  protected:
    std::string dir = ::testing::TempDir() + "/meter-options";
    void SetUp() override { std::filesystem::create_directories(dir); }
    std::vector<std::string> load(const std::string& yaml) {
        const auto file = dir + "/site.yaml";
        std::ofstream(file) << yaml;
        vx::devices::driver_registry r;
        r.add(options());
        vx::core::diagnostics d;
        (void)vx::config::load_site_config(file, d, r);
        std::vector<std::string> out;
        for (const auto& p : d.problems()) out.push_back(p.to_string());
        return out;
    }
};

TEST_F(MeterOptions, UnknownModelsAndBadDeviceMapsAreNamedWithFileAndLine) {
    auto p = load(
        "devices:\n  grid: {driver: modbus, model: em42, transport: {tcp_client: {connect: "
        "127.0.0.1:502}}}\nunits: []\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_NE(p[0].find("site.yaml:2:"), std::string::npos) << p[0];
    EXPECT_NE(p[0].find("did you mean 'em24'"), std::string::npos) << p[0];

    std::ofstream(dir + "/bad.yaml") << "schema: 1\nname: x\ndriver: modbus\nregisters:\n"
                                        "  - {name: power, address: 0, type: i32, source: "
                                        "{value: 1}}\n  - {name: volts, address: 4, type: u16, "
                                        "access: rw}\n";
    p = load(
        "devices:\n  grid: {driver: modbus, model: ./bad.yaml, transport: {serial: {port: "
        "/dev/null}}}\nunits: []\n");
    ASSERT_EQ(p.size(), 2u);
    EXPECT_NE(p[0].find("bad.yaml:5:"), std::string::npos) << p[0];
    EXPECT_NE(p[0].find("drop 'source'"), std::string::npos) << p[0];
    EXPECT_NE(p[1].find("bad.yaml:6:"), std::string::npos) << p[1];
    EXPECT_NE(p[1].find("only reads"), std::string::npos) << p[1];
    std::ofstream(dir + "/bad.yaml") << "schema: 1\nname: x\ndriver: modbus\nregisters:\n"
                                        "  - {name: volts, address: 4, type: u16, sign_of: pwr}\n";
    p = load(
        "devices:\n  grid: {driver: modbus, model: ./bad.yaml, transport: {serial: {port: "
        "/dev/null}}}\nunits: []\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_NE(p[0].find("bad.yaml:5:"), std::string::npos) << p[0];
    EXPECT_NE(p[0].find("sign_of names no entry 'pwr'"), std::string::npos) << p[0];

    p = load(
        "devices:\n  grid: {driver: modbus, model: em24, transport: {udp: {remote: "
        "127.0.0.1:1, local: 127.0.0.1:2}}}\nunits: []\n");
    ASSERT_EQ(p.size(), 1u);
    EXPECT_NE(p[0].find("serial"), std::string::npos) << p[0];
}

TEST_F(MeterOptions, SerialDefaultsAreTheMetersFactorySettings) {
    const auto file = dir + "/ok.yaml";
    std::ofstream(file) << "devices:\n  grid: {driver: modbus, model: sdm630, unit_id: 2, "
                           "transport: {serial: {port: /dev/ttyUSB1}}}\nunits: []\n";
    vx::devices::driver_registry r;
    r.add(options());
    vx::core::diagnostics d;
    const auto site = vx::config::load_site_config(file, d, r);
    ASSERT_TRUE(d.empty());
    const auto* o = vx::devices::options_as<client_options>(site.devices.at("grid").options);
    ASSERT_TRUE(o);
    const auto& s = std::get<vx::transport::serial_options>(o->transport);
    EXPECT_EQ(s.baud, 9600);
    EXPECT_EQ(s.parity, 'N');
    EXPECT_EQ(o->unit_id, 2);
    ASSERT_TRUE(o->map);
    EXPECT_EQ(o->map->name, "eastron-sdm630");
}

TEST(MeterDevice, NamesWhatItServesAndHoldsConstants) {
    boost::asio::io_context io;
    client_options o;
    o.model = "em24";
    o.map = shipped("em24");
    client_device d("grid", io.get_executor(), o);
    vx::core::point_spec p;
    p.ref = {"modbus", "power", {}};
    EXPECT_EQ(d.check_point(p), "");
    p.ref = {"modbus", "energy_export_l1", {}};
    EXPECT_EQ(d.check_point(p), "") << "the shared vocabulary: reads unavailable on an EM24";
    p.ref = {"modbus", "powr", {}};
    EXPECT_NE(d.check_point(p).find("did you mean 'power'"), std::string::npos);
    p.ref = {"modbus", "power", {}};
    p.writable = true;
    EXPECT_NE(d.check_point(p).find("read-only"), std::string::npos);
    // {value: X} works on every driver, this one too (README).
    p.ref = {"value", "7", {}};
    EXPECT_EQ(d.check_point(p), "");
    value got;
    d.subscribe(p, [&](const value& v, auto) { got = v; });
    EXPECT_EQ(num(got), 7);
}

}  // namespace
