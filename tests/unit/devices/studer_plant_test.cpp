// The simulated Studer plant as a pure model with time passed in: energy conserved over a
// simulated hour, day counters at the simulated midnight, {1107} capping the AC-in current with
// Smart-Boost taking the rest, AC-in loss -> inverter mode and a catalogue message (through the
// Xcom simulator's message service), every info of the shipped maps inside its unit's range.
#include <gtest/gtest.h>

#include <cmath>

#include "vxbridge/devices/xcom/catalogue.hpp"
#include "vxbridge/devices/xcom/studer_plant.hpp"
#include "vxbridge/devices/xcom/xcom_sim.hpp"

namespace xc = vx::devices::xcom;
using namespace std::chrono_literals;

namespace {

const auto t0 = xc::studer_plant::clock::time_point{} + 1000h;

xc::studer_plant::param_reader params(double limit_a = 32, double charge_a = 60) {
    return [=](std::uint32_t, std::uint32_t nr) {
        return nr == 1107 ? limit_a : nr == 1138 ? charge_a : std::nan("");
    };
}

double info(const xc::studer_plant& p, std::uint32_t a, std::uint32_t nr) {
    const auto v = p.info(a, nr);
    EXPECT_TRUE(v) << nr;
    return v.value_or(-1e9);
}

}  // namespace

TEST(studer_plant, the_defaults_show_grid_load_and_daylight) {
    xc::studer_plant p;
    p.advance(t0, params());
    p.advance(t0 + 10s, params());
    EXPECT_NEAR(info(p, 101, 3011), 230, 1e-9) << "grid at 230 V";
    EXPECT_GT(info(p, 101, 3012), 5) << "1.5 kW through AC-in";
    EXPECT_NEAR(info(p, 101, 3087), 1500, 1e-9);
    EXPECT_GT(info(p, 301, 11004), 1) << "VarioTrack kW in daylight";
    EXPECT_GT(info(p, 701, 15010), 1) << "VarioString kW";
    EXPECT_EQ(info(p, 101, 3028), 2) << "charger (AC-in present)";
    EXPECT_EQ(info(p, 101, 3020), 1) << "transfer relay closed";
    EXPECT_GT(info(p, 101, 3000), 46);
    EXPECT_LT(info(p, 101, 3000), 58);
}

// Battery energy change = in - out within the modelled losses, over a simulated hour of a
// household's day (load and PV moving, the charger on and off).
TEST(studer_plant, energy_is_conserved_over_a_simulated_hour) {
    xc::studer_plant_options o;
    o.day_profile = true;
    o.start_hour = 17.5;  // PV fading, the evening load rising
    o.initial_soc = 40;
    xc::studer_plant p(o);
    p.advance(t0, params(16, 30));
    const double soc0 = p.soc();
    for (int s = 1; s <= 3600; ++s) p.advance(t0 + std::chrono::seconds(s), params(16, 30));
    const auto& e = p.energy();
    const double in = e.acin + e.pv, out = e.acout;
    const double dc = e.bat_in - e.bat_out;  // the battery's DC side, V x I
    EXPECT_GT(in, 1.0);
    EXPECT_GT(e.losses, 0.01);
    EXPECT_NEAR(in - out - e.losses, dc, 0.01 * in) << "in - out - losses = what the battery took";
    // The BSP's SoC counts ampere-hours; at 48 V nominal it is within the voltage's ratio.
    const double soc_kwh =
        (p.soc() - soc0) / 100 * o.battery_ah * xc::studer_plant::kNominalV / 1000;
    EXPECT_NEAR(soc_kwh, dc * 48 / 51.5, std::fabs(dc) * 0.06 + 0.02);
    // The counters the maps serve say the same: AC-in + PV - consumers = XT charge - discharge +
    // the solar chargers' battery-side energy.
    const double counters =
        info(p, 101, 3081) + info(p, 301, 11007) + info(p, 701, 15017) - info(p, 101, 3083);
    EXPECT_NEAR(counters, in - out, 0.01 * in);
}

TEST(studer_plant, day_counters_reset_at_the_simulated_midnight_and_totals_only_grow) {
    xc::studer_plant_options o;
    o.start_hour = 23.5;
    xc::studer_plant p(o);
    double total = 0;
    for (int s = 0; s <= 3600; s += 10) {
        p.advance(t0 + std::chrono::seconds(s), params());
        EXPECT_GE(info(p, 301, 11008), total) << "the resettable total never drops";
        total = info(p, 301, 11008);
    }
    EXPECT_NEAR(info(p, 101, 3080), 0.75, 0.05) << "yesterday: half an hour of 1.5 kW";
    EXPECT_NEAR(info(p, 101, 3081), 0.75, 0.05) << "today: the half hour after midnight";
    EXPECT_NEAR(info(p, 101, 3082), 0.75, 0.05);
}

TEST(studer_plant, the_input_limit_caps_ac_in_and_smart_boost_takes_the_rest) {
    xc::studer_plant p;
    p.advance(t0, params(4));
    p.advance(t0 + 2s, params(4));
    EXPECT_LE(info(p, 101, 3012), 4.0 + 1e-9);
    EXPECT_NEAR(info(p, 101, 3012), 4.0, 1e-6);
    EXPECT_EQ(info(p, 101, 3018), 1) << "input limit reached";
    EXPECT_EQ(info(p, 101, 3019), 1) << "Smart-Boost";
    EXPECT_EQ(info(p, 101, 3028), 3);
    EXPECT_EQ(info(p, 101, 3017), 4);
}

TEST(studer_plant, ac_in_lost_inverts_and_raises_a_catalogue_message) {
    xc::xcom_sim sim;
    sim.advance(t0);
    sim.plant().set_acin(false);
    sim.advance(t0 + 1s);
    EXPECT_EQ(sim.plant().operating_state(), 1) << "inverter";
    ASSERT_EQ(sim.messages().size(), 1u);
    EXPECT_EQ(sim.messages()[0].nr, 7) << "Warning (007): Input voltage AC-In too low";
    EXPECT_EQ(sim.messages()[0].source, 101u);
    EXPECT_TRUE(sim.message_pending());
    // The message service: flag bit 0 on every response until message 0 is read.
    const auto r = sim.handle(xc::read_request(101, 1, 3000, 1), t0 + 2s);
    EXPECT_EQ(r->frame_flags & 1, 1);
    const auto m = sim.handle(xc::read_request(501, 3, 0, 0), t0 + 2s);
    ASSERT_EQ(m->data.size(), 18u);
    EXPECT_EQ(m->data[0], 1) << "one message in total";
    EXPECT_EQ(m->data[4], 7) << "its number";
    EXPECT_EQ(m->data[6] | (m->data[7] << 8), 101) << "its source";
    EXPECT_FALSE(sim.message_pending());
    EXPECT_EQ(sim.handle(xc::read_request(101, 1, 3000, 1), t0 + 2s)->frame_flags & 1, 0);
}

// Every info of every family the maps serve: a value from the model or a documented constant,
// inside its unit's physical range, an enum's value one of its catalogue options.
TEST(studer_plant, every_info_is_inside_its_units_range) {
    xc::xcom_sim sim;
    for (int s = 0; s <= 120; ++s) sim.advance(t0 + std::chrono::seconds(s));
    struct range {
        const char* unit;
        double lo, hi;
    };
    const range ranges[] = {
        {"V", -600, 600}, {"A", -300, 300},     {"Adc", -300, 300}, {"kVA", 0, 20},
        {"kW", -20, 20},  {"W", -20000, 20000}, {"%", 0, 100},      {"°C", -30, 90},
        {"Hz", 0, 65},    {"kWh", 0, 1e6},      {"MWh", 0, 1e3},    {"Ah", 0, 1e5},
        {"kAh", 0, 1e3},  {"h", 0, 1e5},        {"days", 0, 1e5},   {"minutes", 0, 1e6},
        {"VA", 0, 1e5},   {"Ctmp", -5, 5},      {"Cdyn", -5, 5},    {"", 0, 1e6}};
    int checked = 0;
    for (const auto& d : xc::catalogue()) {
        if (d.k != xc::kind::info) continue;
        const std::uint32_t a = d.fam == xc::family::xt    ? 101
                                : d.fam == xc::family::vt  ? 301
                                : d.fam == xc::family::vs  ? 701
                                : d.fam == xc::family::bsp ? 601
                                                           : 0;
        if (a == 0) continue;
        const double v = sim.info_value(d, a, t0);
        SCOPED_TRACE(std::to_string(d.nr) + " " + d.name + " [" + d.unit +
                     "] = " + std::to_string(v));
        ASSERT_TRUE(std::isfinite(v));
        if (d.format == xc::data_format::short_enum) {
            const std::string opts = d.options, key = std::to_string(static_cast<int>(v)) + "=";
            EXPECT_TRUE(opts.starts_with(key) || opts.find(";" + key) != std::string::npos);
        } else {
            bool known = false;
            for (const auto& r : ranges)
                if (std::string_view(d.unit) == r.unit) {
                    EXPECT_GE(v, r.lo);
                    EXPECT_LE(v, r.hi);
                    known = true;
                }
            EXPECT_TRUE(known) << "a unit without a range";
        }
        const std::string_view name = d.name;
        const bool battery_v = name.starts_with("Battery voltage") ||
                               name.starts_with("Min battery voltage") ||
                               name.starts_with("Max battery voltage");
        if (battery_v && name.find("ripple") == std::string_view::npos) {
            EXPECT_GT(v, 44);
            EXPECT_LT(v, 60);
        }
        if (std::string_view(d.unit) == "Hz") EXPECT_TRUE(v == 0 || (v > 45 && v < 65));
        ++checked;
    }
    EXPECT_GT(checked, 280);
}
