// The ESS setpoint hold as a pure state machine: refresh before the Multi drops it, fall back
// to 0 W without client writes, blocks, roll-back of a refused write - time passed in, no sleeps.
#include <gtest/gtest.h>

#include "vxbridge/devices/vebus/ess_hold.hpp"

using vx::devices::vebus::ess_hold;
using namespace std::chrono_literals;

namespace {

ess_hold make() {
    return ess_hold({1s, 60s});
}

TEST(ess_hold, nothing_is_due_until_a_client_writes) {
    auto h = make();
    const auto t0 = ess_hold::clock::now();
    EXPECT_EQ(h.due(t0 + 1h), ess_hold::action::none);
    EXPECT_FALSE(h.next_refresh());
    EXPECT_FALSE(h.holding());
}

TEST(ess_hold, refreshes_every_period_and_falls_back_after_the_timeout) {
    auto h = make();
    const auto t0 = ess_hold::clock::now();
    EXPECT_EQ(h.request(-500), -500);
    h.sent(t0);
    h.confirm(t0, true);
    EXPECT_EQ(h.shown(), -500);
    EXPECT_EQ(h.due(t0 + 999ms), ess_hold::action::none);
    EXPECT_EQ(h.due(t0 + 1s), ess_hold::action::refresh);
    EXPECT_EQ(*h.next_refresh(), t0 + 1s);
    // Refreshes alone do not keep it alive: only client writes do.
    for (auto t = t0 + 1s; t <= t0 + 60s; t += 1s) h.sent(t);
    EXPECT_EQ(h.due(t0 + 60s), ess_hold::action::none);
    EXPECT_EQ(h.due(t0 + 60s + 1ms), ess_hold::action::fall_back);
    h.fall_back();
    EXPECT_FALSE(h.holding());
    EXPECT_EQ(h.shown(), 0);
    EXPECT_EQ(h.due(t0 + 2h), ess_hold::action::none);  // the Multi's own timeout takes over
}

TEST(ess_hold, a_refused_write_is_rolled_back_and_never_refreshed) {
    auto h = make();
    const auto t0 = ess_hold::clock::now();
    h.request(1000);
    h.confirm(t0, true);
    h.sent(t0);
    EXPECT_EQ(h.request(-2000), -2000);
    h.roll_back();
    EXPECT_EQ(h.effective(), 1000);
    EXPECT_EQ(h.shown(), 1000);
    // A refused first write leaves the bridge not holding anything.
    auto fresh = make();
    fresh.request(300);
    fresh.roll_back();
    EXPECT_FALSE(fresh.holding());
}

TEST(ess_hold, blocks_zero_the_blocked_direction_only) {
    auto h = make();
    const auto t0 = ess_hold::clock::now();
    EXPECT_FALSE(h.block(true, true));  // nothing held: nothing to send
    h.confirm(t0, false);
    EXPECT_EQ(h.request(800), 0);  // charging blocked
    h.confirm(t0, true);
    EXPECT_EQ(h.shown(), 800);  // register 37 shows what the client asked
    EXPECT_EQ(h.request(-800), -800);
    h.confirm(t0, true);
    EXPECT_EQ(*h.block(false, true), 0);  // now feed-in blocked as well
    h.confirm(t0, false);
    EXPECT_TRUE(h.feed_blocked());
    EXPECT_EQ(*h.block(false, false), -800);
    h.roll_back();  // the Multi did not take the unblock
    EXPECT_TRUE(h.feed_blocked());
    EXPECT_EQ(h.effective(), 0);
}

}  // namespace
