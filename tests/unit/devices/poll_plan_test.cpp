// The Xcom poll plan with time passed in: infos fast while read and at the idle rate after
// idle_after without a reader, parameters slowly and at most a batch per pass, min/max once.
#include <gtest/gtest.h>

#include "vxbridge/devices/xcom/poll_plan.hpp"

namespace xc = vx::devices::xcom;
using namespace std::chrono_literals;
using clock_t_ = std::chrono::steady_clock;

namespace {

const xc::poll_timing kTiming{2s, 60s, 120s, 30s, 16};
const auto kNever = clock_t_::time_point::min();
const auto kAlways = clock_t_::time_point::max();

TEST(poll_plan, infos_are_fast_while_read_and_idle_when_nobody_reads_them) {
    const auto now = clock_t_::now();
    xc::poll_point info{true, vx::core::poll_class::fast, now - 3s, false};
    EXPECT_EQ(xc::poll_period(info, now - 10s, now, kTiming), 2s);    // read 10 s ago
    EXPECT_EQ(xc::poll_period(info, now - 121s, now, kTiming), 30s);  // nobody for > 120 s
    EXPECT_EQ(xc::poll_period(info, kNever, now, kTiming), 30s);      // never read
    EXPECT_EQ(xc::poll_period(info, kAlways, now, kTiming), 2s);      // a consumer always needs it
    std::size_t params = 0;
    EXPECT_TRUE(xc::poll_due(info, now - 10s, now, kTiming, params));  // 3 s since the last read
    EXPECT_FALSE(xc::poll_due(info, kNever, now, kTiming, params));    // idle: 30 s
    EXPECT_TRUE(xc::poll_due(info, kNever, now + 27s, kTiming, params));
    EXPECT_EQ(params, 0u);
}

TEST(poll_plan, parameters_are_slow_and_at_most_a_batch_per_pass) {
    const auto now = clock_t_::now();
    xc::poll_point param{false, vx::core::poll_class::slow, clock_t_::time_point{}, false};
    EXPECT_EQ(xc::poll_period(param, kAlways, now, kTiming), 60s);
    std::size_t params = 0;
    int taken = 0;
    for (int i = 0; i < 40; ++i) taken += xc::poll_due(param, kAlways, now, kTiming, params);
    EXPECT_EQ(taken, 16);
    param.polled = now - 59s;
    std::size_t fresh = 0;
    EXPECT_FALSE(xc::poll_due(param, kAlways, now, kTiming, fresh));
}

TEST(poll_plan, min_and_max_are_read_once) {
    const auto now = clock_t_::now();
    xc::poll_point once{false, vx::core::poll_class::once, clock_t_::time_point{}, false};
    std::size_t params = 0;
    EXPECT_TRUE(xc::poll_due(once, kNever, now, kTiming, params));
    once.polled = now;  // tried, no answer yet: again after the fast period
    EXPECT_FALSE(xc::poll_due(once, kNever, now + 1s, kTiming, params));
    EXPECT_TRUE(xc::poll_due(once, kNever, now + 2s, kTiming, params));
    once.once_done = true;
    EXPECT_FALSE(xc::poll_due(once, kNever, now + 1h, kTiming, params));
}

}  // namespace
