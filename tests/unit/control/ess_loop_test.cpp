// The ESS loop as a pure function of time and inputs: settings (ranges, volatile override),
// modes, the regulation step on the Multi's AC input, limits, safety and persistence.
#include <gtest/gtest.h>

#include "vxbridge/control/ess_loop.hpp"

namespace {

using namespace std::chrono_literals;
using vx::control::ess_config;
using vx::control::ess_loop;
using vx::control::ess_sample;
using vx::control::setting_write;
using steady = std::chrono::steady_clock;

const steady::time_point t0{std::chrono::hours(100)};
const auto wall0 = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 20000);

double num(const vx::core::value& v) {
    return vx::core::as_double(v).value_or(-99999);
}

ess_config optimized() {
    ess_config c;
    c.mode = 1;
    c.max_charge_w = 3000;
    c.max_feed_w = 3000;
    c.law = vx::control::control_law::gx;
    return c;
}

ess_sample sample(double ac_in, double ac_out, double soc, steady::time_point at) {
    ess_sample s;
    s.ac_in_w = ac_in;
    s.ac_out_w = ac_out;
    s.soc = soc;
    s.bat_v = 50;
    s.at = at;
    return s;
}

TEST(EssLoop, SettingsHaveGxDefaultsAndRefuseOutOfRangeBeforeAnythingChanges) {
    ess_loop l(optimized());
    EXPECT_EQ(num(l.read("ac_power_setpoint", t0)), 50);
    EXPECT_EQ(num(l.read("minimum_soc", t0)), 10);
    EXPECT_EQ(num(l.read("hub4_mode", t0)), 1);
    EXPECT_EQ(num(l.read("run_without_grid_meter", t0)), 1) << "no meter configured";
    EXPECT_EQ(l.write("minimum_soc", 101, t0), setting_write::out_of_range);
    EXPECT_EQ(l.write("hub4_mode", 0, t0), setting_write::out_of_range) << "2902 = 0 refused";
    EXPECT_EQ(l.write("soc_limit", 20, t0), setting_write::read_only);
    EXPECT_EQ(l.write("nonsense", 1, t0), setting_write::unknown);
    EXPECT_EQ(num(l.read("minimum_soc", t0)), 10) << "nothing changed";
    const auto v = l.persistent_version();
    EXPECT_EQ(l.write("minimum_soc", 25, t0), setting_write::ok);
    EXPECT_GT(l.persistent_version(), v);
    EXPECT_EQ(l.write("max_discharge_power", -10, t0), setting_write::ok) << "negative = no limit";
}

TEST(EssLoop, ExternalModeSendsNothing) {
    auto c = optimized();
    c.mode = 3;
    ess_loop l(c);
    EXPECT_FALSE(l.on_sample(sample(0, 500, 50, t0), t0, wall0, 720));
    EXPECT_FALSE(l.tick(t0 + 2s, true));
    EXPECT_EQ(num(l.read("ess_state", t0)), 0);
}

TEST(EssLoop, WithoutAMeterTheSetpointIsTheTarget) {
    ess_loop l(optimized());
    const auto c = l.on_sample(sample(-800, 1200, 50, t0), t0, wall0, 720);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->setpoint_w, 50) << "grid = AC-in: the law gives AC-in = 2700";
    EXPECT_EQ(num(l.read("ess_state", t0)), 1);
}

TEST(EssLoop, OverrideWinsUntilItExpiresAndZeroIsAZeroWattOverride) {
    ess_loop l(optimized());
    ASSERT_EQ(l.write("override_setpoint", 0, t0), setting_write::ok);
    EXPECT_EQ(l.on_sample(sample(0, 0, 50, t0), t0, wall0, 720)->setpoint_w, 0);
    ASSERT_EQ(l.write("override_setpoint", -700, t0), setting_write::ok);
    EXPECT_EQ(num(l.read("override_setpoint", t0 + 179s)), -700);
    EXPECT_EQ(l.on_sample(sample(0, 0, 50, t0 + 179s), t0 + 179s, wall0, 720)->setpoint_w, -700);
    EXPECT_EQ(l.on_sample(sample(0, 0, 50, t0 + 181s), t0 + 181s, wall0, 720)->setpoint_w, 50)
        << "expired: back to 2700";
    EXPECT_EQ(num(l.read("override_setpoint", t0 + 181s)), 0);
}

TEST(EssLoop, MaxFeedInHoldsTheTarget) {
    ess_loop l(optimized());
    l.write("ac_power_setpoint", -2500, t0);
    l.write("max_feed_in_power", 1000, t0);
    EXPECT_EQ(l.on_sample(sample(0, 0, 60, t0), t0, wall0, 720)->setpoint_w, -1000);
    EXPECT_EQ(num(l.read("ess_limited", t0)), 5);
}

TEST(EssLoop, NoDischargeAtOrBelowMinimumSocWithHysteresis) {
    auto c = optimized();
    ess_loop l(c);
    l.write("batterylife_state", 10, t0);  // optimized without BatteryLife
    l.write("minimum_soc", 30, t0);
    l.write("ac_power_setpoint", 0, t0);
    // Load 1000 W on AC-out: discharging would mean AC-in below 1000 W (battery frame < 0).
    auto cmd = l.on_sample(sample(1000, 1000, 30, t0), t0, wall0, 720);
    EXPECT_GE(cmd->setpoint_w, 1000) << "at the minimum SoC the load comes from the grid";
    EXPECT_TRUE(cmd->disable_feedin);
    cmd = l.on_sample(sample(1000, 1000, 32, t0 + 1s), t0 + 1s, wall0, 720);
    EXPECT_GE(cmd->setpoint_w, 1000) << "3 % hysteresis: still blocked at 32 %";
    cmd = l.on_sample(sample(1000, 1000, 33.5, t0 + 2s), t0 + 2s, wall0, 720);
    EXPECT_EQ(cmd->setpoint_w, 0) << "released at minimum + 3 %";
}

TEST(EssLoop, KeepChargedCharges) {
    ess_loop l(optimized());
    l.write("batterylife_state", 9, t0);
    const auto cmd = l.on_sample(sample(0, 500, 60, t0), t0, wall0, 720);
    EXPECT_EQ(cmd->setpoint_w, 3000) << "charge at the maximum allowed";
}

TEST(EssLoop, LimitsInTheBatteryFrame) {
    ess_loop l(optimized());
    l.write("ac_power_setpoint", 2500, t0);
    l.write("max_charge_current", 10, t0);  // 10 A x 50 V = 500 W into the battery
    EXPECT_EQ(l.on_sample(sample(0, 300, 60, t0), t0, wall0, 720)->setpoint_w, 800);
    l.write("ac_power_setpoint", -2500, t0);
    l.write("max_discharge_percentage", 0, t0);  // < 50 %: no discharge
    EXPECT_EQ(l.on_sample(sample(0, 300, 60, t0), t0, wall0, 720)->setpoint_w, 300);
}

TEST(EssLoop, StaleMeasurementOrLostLinkStopsRegulationOnceAndItResumes) {
    ess_loop l(optimized());
    ASSERT_TRUE(l.on_sample(sample(0, 0, 50, t0), t0, wall0, 720));
    EXPECT_EQ(l.stale_at(), t0 + 5s) << "the Multi's sample ages without a meter";
    auto c = l.tick(t0 + 1s, true);
    ASSERT_TRUE(c) << "re-sent every second, even unchanged";
    EXPECT_FALSE(c->passthru);
    c = l.tick(t0 + 6s, true);
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->passthru);
    EXPECT_EQ(c->setpoint_w, 0);
    EXPECT_EQ(num(l.read("ess_state", t0 + 6s)), 2);
    EXPECT_FALSE(l.tick(t0 + 7s, true)) << "passthru is commanded once";
    ASSERT_TRUE(l.on_sample(sample(0, 0, 50, t0 + 8s), t0 + 8s, wall0, 720));
    EXPECT_EQ(num(l.read("ess_state", t0 + 8s)), 1) << "resumes by itself";
    c = l.tick(t0 + 8500ms, false);
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->passthru) << "a lost link stops at once";
}

TEST(EssLoop, PersistentSettingsRoundTripAndBadValuesAreIgnored) {
    ess_loop a(optimized());
    a.write("minimum_soc", 42, t0);
    a.write("batterylife_state", 9, t0);
    a.write("override_setpoint", 123, t0);
    auto saved = a.persistent();
    EXPECT_FALSE(saved.contains("override_setpoint")) << "2716 is volatile";
    saved["ac_power_setpoint"] = 1e12;  // damaged: ignored, default stays
    ess_loop b(optimized());
    b.restore(saved);
    EXPECT_EQ(num(b.read("minimum_soc", t0)), 42);
    EXPECT_EQ(num(b.read("ac_power_setpoint", t0)), 50);
    EXPECT_EQ(num(b.read("batterylife_state", t0)), 9) << "BatteryLife's state survives";
}

TEST(EssLoop, TheIntegralLawRemovesTheSteadyStateErrorOfAPlantAt96Percent) {
    // A Multi that reaches 96 % of its setpoint, a 1700 W load behind a meter.
    for (auto law : {vx::control::control_law::gx, vx::control::control_law::gx_integral}) {
        auto c = optimized();
        c.law = law;
        c.has_meter = true;
        ess_loop l(c);
        l.write("run_without_grid_meter", 0, t0);
        l.write("ac_power_setpoint", 20, t0);
        double ac_in = 0, grid = 1700;
        for (int i = 0; i < 60; ++i) {
            auto s = sample(ac_in, 0, 60, t0 + i * 1s);
            s.grid_w = grid;
            s.grid_at = t0 + i * 1s;
            const auto cmd = l.on_sample(s, t0 + i * 1s, wall0, 720);
            ac_in = 0.96 * cmd->setpoint_w;
            grid = 1700 + ac_in;
        }
        if (law == vx::control::control_law::gx)
            EXPECT_GT(grid - 20, 40) << "the GX law leaves about 4 % of the load";
        else
            EXPECT_LT(std::abs(grid - 20), 2) << "the integral removes it";
    }
}

ess_sample metered(double ac_in, double grid, steady::time_point at, steady::time_point meter_at) {
    auto s = sample(ac_in, 0, 60, at);
    s.grid_w = grid;
    s.grid_l1_w = grid - 100;  // 100 W on L2
    s.grid_at = meter_at;
    return s;
}

TEST(EssLoop, OnAMeterItRegulatesTheMeterNotTheMultisInput) {
    auto c = optimized();
    c.has_meter = true;
    ess_loop l(c);
    EXPECT_TRUE(l.meter_in_use()) << "2718 defaults to 0 when a meter is configured";
    // 1000 W of load between meter and Multi: the Multi's input reads 0, the meter 1000.
    const auto cmd = l.on_sample(metered(0, 1000, t0, t0), t0, wall0, 720);
    ASSERT_TRUE(cmd);
    EXPECT_EQ(cmd->setpoint_w, 50 - 1000) << "P_in + target - grid, on the meter's grid";
    EXPECT_EQ(num(l.read("ess_grid_w", t0)), 1000);
    // 2902 = 2: the Multi's phase only.
    l.write("hub4_mode", 2, t0);
    EXPECT_EQ(l.on_sample(metered(0, 1000, t0 + 1s, t0 + 1s), t0 + 1s, wall0, 720)->setpoint_w,
              50 - 900);
    // 2718 = 1: back on the Multi's AC input although the meter is there.
    l.write("run_without_grid_meter", 1, t0);
    EXPECT_FALSE(l.meter_in_use());
    EXPECT_EQ(l.on_sample(metered(0, 1000, t0 + 2s, t0 + 2s), t0 + 2s, wall0, 720)->setpoint_w, 50);
}

TEST(EssLoop, AStaleMeterStopsRegulationOnceAndItResumesOnItsOwn) {
    auto c = optimized();
    c.has_meter = true;
    ess_loop l(c);
    ASSERT_TRUE(l.on_sample(metered(0, 500, t0, t0), t0, wall0, 720));
    // The Multi keeps answering; the meter's last sample (t0) ages.
    for (int i = 1; i <= 5; ++i) {
        EXPECT_TRUE(l.on_sample(metered(0, 500, t0 + i * 1s, t0), t0 + i * 1s, wall0, 720))
            << "a meter sample up to 5 s old still counts (i = " << i << ")";
        EXPECT_TRUE(!l.tick(t0 + i * 1s, true) || !l.tick(t0 + i * 1s, true)->passthru);
    }
    ASSERT_TRUE(l.stale_at());
    EXPECT_EQ(*l.stale_at(), t0 + 5s) << "the service ticks then: passthru 5 s after the sample";
    const auto t = l.tick(*l.stale_at() + 1ms, true);
    ASSERT_TRUE(t) << "just after the meter's last sample turned 5 s old";
    EXPECT_TRUE(t->passthru);
    EXPECT_EQ(t->setpoint_w, 0);
    EXPECT_FALSE(l.on_sample(metered(0, 500, t0 + 6s, t0), t0 + 6s, wall0, 720))
        << "never a step on a meter sample older than 5 s";
    EXPECT_EQ(l.state_text(), "passthru: grid meter lost");
    EXPECT_FALSE(l.tick(t0 + 7s, true)) << "said once";
    EXPECT_FALSE(l.stale_at()) << "nothing to wait for in passthru";
    EXPECT_EQ(num(l.read("ess_no_grid_meter", t0 + 60s)), 0);
    EXPECT_EQ(num(l.read("ess_no_grid_meter", t0 + 121s)), 2) << "GX alarm #49 after 120 s";
    const auto back = l.on_sample(metered(0, 500, t0 + 130s, t0 + 130s), t0 + 130s, wall0, 720);
    ASSERT_TRUE(back) << "a fresh meter sample resumes regulation";
    EXPECT_FALSE(back->passthru);
    EXPECT_EQ(num(l.read("ess_no_grid_meter", t0 + 130s)), 0);
}

TEST(EssLoop, AMeterThatNeverAnsweredRaisesTheAlarmAfter120s) {
    auto c = optimized();
    c.has_meter = true;
    ess_loop l(c);
    EXPECT_FALSE(l.tick(t0, true));
    EXPECT_EQ(l.state_text(), "waiting for a measurement");
    EXPECT_FALSE(l.on_sample(sample(0, 0, 60, t0 + 1s), t0 + 1s, wall0, 720));
    EXPECT_FALSE(l.tick(t0 + 2s, true));
    EXPECT_EQ(l.state_text(), "waiting for the grid meter");
    EXPECT_EQ(num(l.read("ess_no_grid_meter", t0 + 119s)), 0);
    EXPECT_EQ(num(l.read("ess_no_grid_meter", t0 + 121s)), 2);
}

TEST(EssLoop, A2718SavedForAnotherSiteGivesWayToTheConfigsMeter) {
    ess_loop without(optimized());
    auto saved = without.persistent();
    EXPECT_EQ(saved["run_without_grid_meter"], 1);
    auto c = optimized();
    c.has_meter = true;
    ess_loop with(c);
    with.restore(saved);
    EXPECT_TRUE(with.meter_in_use()) << "the meter added to the config is used";
    with.write("run_without_grid_meter", 1, t0);
    ess_loop again(c);
    again.restore(with.persistent());
    EXPECT_FALSE(again.meter_in_use()) << "a user's 2718 = 1 on the same site survives";
}

}  // namespace

namespace {
ess_sample three_phase(std::array<double, 3> in, std::array<double, 3> out, steady::time_point at) {
    auto s = sample(in[0] + in[1] + in[2], out[0] + out[1] + out[2], 60, at);
    s.phases = 3;
    s.units = 3;
    s.ac_in_l = in;
    s.ac_out_l = out;
    return s;
}
}  // namespace

// 3-phase systems (multi-unit notes section 4): 2902 = 1 regulates the total and shares the
// battery power equally over the phases; 2902 = 2 regulates each phase to a third of the target.
TEST(EssLoop, ThreePhasesTotalOrEachPhase) {
    ess_loop l(optimized());
    auto c = l.on_sample(three_phase({500, 300, 100}, {800, 200, 0}, t0), t0, wall0, 720);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->phases, 3);
    EXPECT_NEAR(c->phase_w[0] + c->phase_w[1] + c->phase_w[2], 50, 1) << "the total at the target";
    const double out[] = {800, 200, 0};
    for (int p = 0; p < 3; ++p)  // each phase puts the same power into the battery
        EXPECT_NEAR(c->phase_w[p] - out[p], (50.0 - 1000) / 3, 1) << p;
    EXPECT_NEAR(c->setpoint_w, 50, 1);

    auto m = optimized();
    m.has_meter = true;
    ess_loop each(m);
    each.write("hub4_mode", 2, t0);
    auto s = three_phase({0, 0, 0}, {0, 0, 0}, t0);
    s.grid_w = 1000;
    s.grid_l1_w = 600;
    s.grid_l2_w = 300;
    s.grid_l3_w = 100;
    s.grid_at = t0;
    c = each.on_sample(s, t0, wall0, 720);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->phase_w[0], -583) << "each phase to 50 / 3 W on its own meter phase";
    EXPECT_EQ(c->phase_w[1], -283);
    EXPECT_EQ(c->phase_w[2], -83);
    // Stale: every phase to 0 W.
    c = each.tick(t0 + 6s, true);
    ASSERT_TRUE(c);
    EXPECT_TRUE(c->passthru);
    EXPECT_EQ(c->phases, 3);
    EXPECT_EQ(c->phase_w, (std::array<double, 3>{0, 0, 0}));
}

TEST(EssLoop, LimitsArePerMulti) {
    auto cfg = optimized();
    cfg.max_charge_w = 1000;
    ess_loop l(cfg);
    l.write("ac_power_setpoint", 9000, t0);  // far more than three Multis take
    const auto c = l.on_sample(three_phase({0, 0, 0}, {0, 0, 0}, t0), t0, wall0, 720);
    ASSERT_TRUE(c);
    for (int p = 0; p < 3; ++p) EXPECT_EQ(c->phase_w[p], 1000) << "one Multi per phase";
}

namespace {

// The figures the commissioning view shows: the setpoint per phase and the limits in force at
// the last step, as the Multi got them.
TEST(EssLoop, TheViewsFiguresFollowTheLastStep) {
    ess_loop l(optimized());
    EXPECT_FALSE(vx::core::has_value(l.read("ess_max_charge_w", t0)));  // no step yet
    l.write("max_charge_current", 10, t0);                              // 500 W at 50 V
    l.write("max_feed_in_power", 800, t0);
    const auto c = l.on_sample(three_phase({500, 300, 100}, {800, 200, 0}, t0), t0, wall0, 720);
    ASSERT_TRUE(c);
    for (int p = 0; p < 3; ++p)
        EXPECT_EQ(num(l.read("ess_setpoint_l" + std::to_string(p + 1) + "_w", t0)),
                  c->phase_w[static_cast<std::size_t>(p)]);
    EXPECT_EQ(num(l.read("ess_max_charge_w", t0)), 500);
    EXPECT_EQ(num(l.read("ess_max_discharge_w", t0)), 9000);  // 3 Multis x 3000 W
    EXPECT_EQ(num(l.read("ess_max_feed_in_w", t0)), 800);
    EXPECT_EQ(num(l.read("ess_meter_in_use", t0)), 0);
    // One phase: L2 and L3 have no setpoint.
    ess_loop one(optimized());
    ASSERT_TRUE(one.on_sample(sample(100, 300, 60, t0), t0, wall0, 720));
    EXPECT_TRUE(vx::core::has_value(one.read("ess_setpoint_l1_w", t0)));
    EXPECT_FALSE(vx::core::has_value(one.read("ess_setpoint_l2_w", t0)));
    EXPECT_FALSE(vx::core::has_value(one.read("ess_max_feed_in_w", t0)));  // none set
}

}  // namespace
