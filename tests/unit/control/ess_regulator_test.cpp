// The ESS law against a model plant: the Multi reaches 96 % of a commanded AC-in power (protocol
// notes 2.2). The GX law settles about 4 % of the grid-side load above target (1700 W, 20 W ->
// 83 W in the notes); with the integral term the error goes within a few W. Limits in the battery
// frame, max feed-in, blocked discharge and force charge.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "vxbridge/control/ess_regulator.hpp"

using vx::control::control_law;
using vx::control::ess_limits;
using vx::control::ess_regulator;

namespace {

// One measurement per step: the Multi holds 96 % of the last command; the grid sees the loads
// between grid and Multi plus the Multi's AC input.
struct plant {
    double grid_load = 0, ac_out = 0, ac_in = 0;
    double grid() const { return grid_load + ac_in; }
    void command(double setpoint) { ac_in = 0.96 * setpoint; }
};

double settle(ess_regulator& r, plant& p, double target, const ess_limits& l = {}, int steps = 60) {
    for (int i = 0; i < steps; ++i)
        p.command(r.step(p.ac_in, p.ac_out, p.grid(), target, l).setpoint_w);
    return p.grid();
}

TEST(ess_regulator, the_gx_law_settles_4_percent_of_the_load_above_target) {
    ess_regulator gx(control_law::gx);
    plant p{1700, 300, 0};
    // 4 % of (load - target) above target: 87 W here; the notes measured 83 W for the same case.
    EXPECT_NEAR(settle(gx, p, 20), 20 + 0.04 * (1700 - 20), 1);
}

TEST(ess_regulator, the_integral_term_removes_the_steady_state_error) {
    ess_regulator r;
    plant p{1700, 300, 0};
    EXPECT_NEAR(settle(r, p, 20), 20, 2);
    p.grid_load = 3700;  // a step of the load between grid and Multi
    EXPECT_NEAR(settle(r, p, 20), 20, 2);
    EXPECT_NEAR(settle(r, p, -500), -500, 2);  // a new target: feed in 500 W
    EXPECT_NEAR(r.gain(), 0.96, 0.005) << "learnt: the Multi reaches 96 % of a command";
    // With the share learnt, a new target is met in one step (the model plant has no ramp).
    p.command(r.step(p.ac_in, p.ac_out, p.grid(), 700, {}).setpoint_w);
    EXPECT_NEAR(p.grid(), 700, 0.02 * 1200);
}

TEST(ess_regulator, limits_apply_in_the_battery_frame) {
    ess_regulator r;
    plant p{0, 1000, 0};  // 1 kW at AC-out, nothing between grid and Multi
    ess_limits l;
    l.max_discharge_w = 400;  // the battery may give 400 W: the grid brings the other 600
    settle(r, p, 0, l);
    EXPECT_NEAR(p.ac_in - p.ac_out, -400, 2) << "the battery gives 400 W, despite the 96 % plant";
    EXPECT_NEAR(p.grid(), 600, 2);
    l.discharge_blocked = true;  // minimum SoC: nothing from the battery
    settle(r, p, 0, l);
    EXPECT_NEAR(p.ac_in - p.ac_out, 0, 2) << "nothing from the battery";
    EXPECT_EQ(r.step(p.ac_in, p.ac_out, p.grid(), 0, l).limited_by, "discharge blocked");
    ess_limits charge;
    charge.max_charge_w = 500;  // a target of +3 kW charges at 500 W at most
    plant q{0, 1000, 0};
    settle(r, q, 3000, charge);
    EXPECT_NEAR(q.ac_in - q.ac_out, 500, 2);
    // The pure GX law commands the limit itself (the plant then misses it by its 4 %).
    ess_regulator gx(control_law::gx);
    plant g{0, 1000, 0};
    settle(gx, g, 0, l);
    EXPECT_EQ(gx.step(g.ac_in, g.ac_out, g.grid(), 0, l).setpoint_w, 1000);
}

TEST(ess_regulator, max_feed_in_raises_the_target_and_force_charge_wins) {
    ess_regulator r;
    plant p{200, 0, 0};
    ess_limits l;
    l.max_feed_in_w = 1000;
    EXPECT_NEAR(settle(r, p, -3000, l), -1000, 2);  // holds the feed-in limit
    EXPECT_EQ(r.step(p.ac_in, p.ac_out, p.grid(), -3000, l).limited_by, "max feed-in");
    ess_limits f;
    f.force_charge_w = 250;  // 5 A at 50 V
    const auto s = r.step(0, 100, 0, -2000, f);
    // 250 into the battery plus the AC-out load, over the share of a command the Multi reaches.
    EXPECT_NEAR(s.setpoint_w, 350 / r.gain(), 1);
    EXPECT_EQ(s.limited_by, "force charge");
}

TEST(ess_regulator, the_integral_does_not_wind_up_against_a_limit) {
    ess_regulator r;
    plant p{0, 1000, 0};
    ess_limits l;
    l.discharge_blocked = true;
    settle(r, p, -2000, l, 200);  // wants to feed in, may not: 200 steps against the limit
    EXPECT_EQ(r.integral(), 0);
    l.discharge_blocked = false;  // released: no overshoot from a wound-up integral
    p.command(r.step(p.ac_in, p.ac_out, p.grid(), 0, l).setpoint_w);
    EXPECT_GT(p.grid(), -100);
}

TEST(ess_regulator, a_ramping_multi_does_not_wind_up_the_integral) {
    // The Multi ramps at 400 W/s towards 96 % of the command; a measurement every 0.5 s.
    struct ramp_plant {
        double grid_load = 0, ac_in = 0, cmd = 0;
        double grid() const { return grid_load + ac_in; }
        void advance() { ac_in += std::clamp(0.96 * cmd - ac_in, -200.0, 200.0); }
    } p;
    ess_regulator r;
    const auto run = [&](int steps, double target) {
        double lowest = 1e9;
        for (int i = 0; i < steps; ++i) {
            p.cmd = r.step(p.ac_in, 0, p.grid(), target, {}).setpoint_w;
            p.advance();
            lowest = std::min(lowest, p.grid());
        }
        return lowest;
    };
    p.grid_load = 300;
    run(40, 50);
    p.grid_load = 2300;  // +2 kW
    run(60, 50);
    EXPECT_NEAR(p.grid(), 50, 3);
    p.grid_load = 300;  // -2 kW: no undershoot beyond the ramp's own from a wound-up integral
    const double lowest = run(60, 50);
    EXPECT_GT(lowest, 50 - 0.05 * 2000 - 2000) << "bounded by the step itself";
    EXPECT_NEAR(p.grid(), 50, 3);
    EXPECT_LT(std::fabs(r.integral()), 0.06 * 2300)
        << "the integral holds the plant's 4 %, no more";
}

TEST(ess_regulator, target_steps_from_low_power_do_not_pollute_the_integral) {
    // Settled at a 50 W target (a small command: the additive integral works there), then the
    // target steps to -1500 W and +1000 W: the new target's error is the step's, not the
    // plant's, and must not be integrated (it once wound the integral to -385 W).
    ess_regulator r;
    double ac_in = 1500, cmd = 0;
    const double ac_out = 1500;
    ess_limits l;
    l.max_charge_w = 3000;
    l.max_discharge_w = 3000;
    const auto run = [&](int steps, double target) {
        for (int i = 0; i < steps; ++i) {
            cmd = r.step(ac_in, ac_out, ac_in, target, l).setpoint_w;
            ac_in += std::clamp(0.96 * cmd - ac_in, -200.0, 200.0);  // 400 W/s, 0.5 s a step
        }
        return ac_in;
    };
    EXPECT_NEAR(run(20, 50), 50, 2);
    EXPECT_NEAR(run(30, -1500), -1500, 0.02 * 1550);
    EXPECT_NEAR(run(30, 1000), 1000, 0.02 * 2500);
    EXPECT_LT(std::fabs(r.integral()), 10);
}

TEST(ess_regulator, output_is_whole_watts_within_32700) {
    ess_regulator r;
    EXPECT_EQ(r.step(0, 0, 0, 1e9, {}).setpoint_w, 32700);
    EXPECT_EQ(r.integral(), 0);  // pushing against the clamp did not wind it up
    EXPECT_EQ(r.step(0.4, 0, 0, 10.3, {}).setpoint_w, 11);  // 10.7 W -> 11
}

}  // namespace

namespace {

// A Multi that ramps at 400 W/s towards 96 % of its command, measured every 0.5 s, and a grid
// meter that lags the Multi's AC input by one measurement (what a 9600-baud RS-485 meter and
// the VE.Bus poll give): the pair a step sees mid-ramp is from two moments.
struct ramping_plant {
    double grid_load = 0, ac_in = 0, command = 0, meter = 0;
    void advance(double dt) {
        const double aim = 0.96 * command;
        const double max_step = 400 * dt;
        ac_in += std::clamp(aim - ac_in, -max_step, max_step);
    }
};

TEST(ess_regulator, a_lagging_meter_does_not_make_a_grid_side_load_step_overshoot) {
    // Either reading may be the older one: the meter one measurement behind the Multi's AC
    // input (a slow meter), or the AC input half a measurement behind the meter (the VE.Bus
    // poll takes that long).
    for (const bool meter_behind : {true, false}) {
        SCOPED_TRACE(meter_behind ? "meter behind" : "AC input behind");
        ess_regulator r;
        ramping_plant p;
        double seen_ac_in = 0;
        int commands = 0;
        double last = 0;
        const auto run = [&](int steps, double& lowest) {
            for (int i = 0; i < steps; ++i) {
                const double meter_now = meter_behind ? p.meter : p.grid_load + p.ac_in;
                const double ac_in_now = meter_behind ? p.ac_in : seen_ac_in;
                p.command = r.step(ac_in_now, 500, meter_now, 50, {}).setpoint_w;
                if (p.command != last) ++commands, last = p.command;
                p.advance(0.25);
                seen_ac_in = p.ac_in;
                p.advance(0.25);
                p.meter = p.grid_load + p.ac_in;
                lowest = std::min(lowest, p.meter);
            }
        };
        double lowest = 1e9;
        run(40, lowest);
        ASSERT_NEAR(p.meter, 50, 5);
        p.grid_load = 2000;  // a heat pump between the meter and the Multi
        p.meter = p.grid_load + p.ac_in;
        lowest = 1e9;
        commands = 0;
        run(14, lowest);  // 7 s: 5 s of ramp + the measurement delays
        EXPECT_GT(lowest, 50 - 40) << "no export overshoot while the Multi ramps";
        EXPECT_NEAR(p.meter, 50, 25) << "settled within the ramp time + 2 s";
        EXPECT_LE(commands, 2) << "one command for the step (and perhaps one small correction)";
        run(10, lowest);
        EXPECT_NEAR(p.meter, 50, 3) << "and without a steady error";
    }
}

}  // namespace
