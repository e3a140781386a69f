// BatteryLife as a pure function of SoC, minimum SoC and time (protocol notes 2.5): the states,
// the 3 % hysteresis, the daily moves of the dynamic limit, the 24 h force charge, the plain
// minimum-SoC guard and keep-charged.
#include <gtest/gtest.h>

#include "vxbridge/control/battery_life.hpp"

using vx::control::battery_life;
using vx::control::bl_state;
using namespace std::chrono_literals;

namespace {

struct rig {
    battery_life bl;
    std::chrono::system_clock::time_point now{std::chrono::hours(24 * 365 * 50)};
    bool sustain = false;
    double min_soc = 10;
    bl_state at(double soc, std::chrono::seconds later = 1s, int minutes = 720) {
        now += later;
        bl.update({soc, true, sustain, min_soc, now, minutes});
        return bl.state();
    }
};

TEST(battery_life, starts_in_self_consumption_and_follows_the_soc_up_with_hysteresis) {
    rig r;
    EXPECT_EQ(r.at(50), bl_state::self_consumption);
    EXPECT_EQ(r.at(85), bl_state::above_85);
    EXPECT_EQ(r.at(83), bl_state::above_85);  // 3 % hysteresis: back only below 82
    EXPECT_EQ(r.at(81.9), bl_state::self_consumption);
    EXPECT_EQ(r.at(96), bl_state::above_95);  // through 3 in one update
    EXPECT_EQ(r.at(92.5), bl_state::above_95);
    EXPECT_EQ(r.at(91), bl_state::above_85);
}

TEST(battery_life, the_limit_moves_once_a_day_and_blocks_discharge_below_it) {
    rig r;
    r.at(50);
    EXPECT_EQ(*r.bl.active_soc_limit(r.min_soc), 10);
    EXPECT_FALSE(r.bl.discharge_blocked());
    EXPECT_EQ(r.at(10), bl_state::discharge_disabled);  // SoC <= active
    EXPECT_TRUE(r.bl.discharge_blocked());
    EXPECT_EQ(r.bl.soc_limit(), 15);  // +5 the first time today
    EXPECT_EQ(r.at(17), bl_state::discharge_disabled);
    EXPECT_EQ(r.at(18.1), bl_state::self_consumption);  // > active (15) + 3
    EXPECT_EQ(r.at(15), bl_state::discharge_disabled);
    EXPECT_EQ(r.bl.soc_limit(), 15);  // not again the same day
    // A new day (00:00-00:15 clears the flags): the next discharge raises it again.
    r.at(50, 1s, 5);
    r.at(20);
    EXPECT_EQ(r.at(15), bl_state::discharge_disabled);
    EXPECT_EQ(r.bl.soc_limit(), 20);
    // Reaching 85 % and 95 % lowers it by 5 each, once a day.
    r.at(90);
    EXPECT_EQ(r.bl.soc_limit(), 15);
    r.at(96);
    EXPECT_EQ(r.bl.soc_limit(), 10);
}

TEST(battery_life, the_limit_stays_within_80_percent_and_min_soc_wins_above_it) {
    vx::control::battery_life_memory m;
    m.soc_limit = 78;
    m.state = bl_state::self_consumption;
    battery_life bl(m);
    bl.update({76, true, false, 10, {}, 720});  // <= 78: discharged, and the limit goes up
    EXPECT_EQ(bl.state(), bl_state::discharge_disabled);
    EXPECT_EQ(bl.soc_limit(), 80);
    EXPECT_EQ(*bl.active_soc_limit(10), 80);
    EXPECT_EQ(*bl.active_soc_limit(90), 90);  // a minimum SoC above 80 % is used as it is
}

TEST(battery_life, deep_discharge_recharges_and_24_hours_discharged_force_a_slow_charge) {
    rig r;
    r.at(50);
    EXPECT_EQ(r.at(12), bl_state::self_consumption);    // above the active limit (10)
    EXPECT_EQ(r.at(10), bl_state::discharge_disabled);  // active 10 -> 15 on entering
    // <= max(10, 15 - 5) - 5 = 5: recharge from the grid; back at >= max(10, 10, 3) = 10.
    EXPECT_EQ(r.at(5), bl_state::low_soc_charge);
    EXPECT_TRUE(r.bl.discharge_blocked());
    EXPECT_EQ(r.at(9.9), bl_state::low_soc_charge);
    EXPECT_EQ(r.at(10), bl_state::discharge_disabled);
    // Discharged for more than 24 h: limit +5, force charge until SoC > active.
    EXPECT_EQ(r.at(12, 24h), bl_state::force_charge);
    EXPECT_TRUE(r.bl.force_charge());
    EXPECT_EQ(r.bl.soc_limit(), 20);
    EXPECT_EQ(r.at(20.5), bl_state::discharge_disabled);
}

TEST(battery_life, sustain_follows_the_multi) {
    rig r;
    r.at(50);
    r.sustain = true;
    EXPECT_EQ(r.at(50), bl_state::sustain);
    r.sustain = false;
    EXPECT_EQ(r.at(50), bl_state::self_consumption);
}

TEST(battery_life, without_battery_life_only_minimum_soc_guards_with_3_percent_hysteresis) {
    rig r;
    ASSERT_TRUE(r.bl.set_mode(10));
    EXPECT_EQ(r.at(40), bl_state::optimized_plain);
    EXPECT_EQ(*r.bl.active_soc_limit(10), 10);
    EXPECT_EQ(r.at(10), bl_state::below_min_soc);
    EXPECT_TRUE(r.bl.discharge_blocked());
    EXPECT_EQ(r.at(12.9), bl_state::below_min_soc);
    EXPECT_EQ(r.at(13), bl_state::optimized_plain);
    r.at(10);
    EXPECT_EQ(r.at(5), bl_state::recharge);
    EXPECT_EQ(r.at(10), bl_state::below_min_soc);
}

TEST(battery_life, keep_charged_stays_and_writes_are_checked) {
    rig r;
    ASSERT_TRUE(r.bl.set_mode(9));
    EXPECT_EQ(r.at(5), bl_state::keep_charged);
    EXPECT_EQ(r.at(100), bl_state::keep_charged);
    EXPECT_TRUE(r.bl.keep_charged());
    EXPECT_FALSE(r.bl.active_soc_limit(10));
    EXPECT_FALSE(r.bl.set_mode(13));
    EXPECT_TRUE(r.bl.set_mode(0));  // 0 restarts BatteryLife
    EXPECT_EQ(r.at(50), bl_state::self_consumption);
}

TEST(battery_life, waits_without_a_soc_or_an_ess_assistant) {
    battery_life bl;
    bl.update({std::nullopt, true, false, 10, {}, 720});
    EXPECT_EQ(bl.state(), bl_state::restarting);
    bl.update({50, false, false, 10, {}, 720});
    EXPECT_EQ(bl.state(), bl_state::restarting);
}

}  // namespace
