// The driver skeleton's shared parts on their own: the online state (time passed in) and the
// exchange session (one request in flight, reply by predicate, resends, gap, cancel) over an
// injected link.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "../../support/scripted_link.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/devices/exchange_session.hpp"
#include "vxbridge/devices/online_state.hpp"

namespace {

using namespace std::chrono_literals;
using vx::devices::online_state;
using clock_type = std::chrono::steady_clock;
using bytes = std::vector<std::uint8_t>;

TEST(OnlineState, UpAfterAnAnswerDownAfterSilenceOrLinkLoss) {
    online_state s(10s);
    const clock_type::time_point t0{std::chrono::hours(1)};
    EXPECT_FALSE(s.update(t0, true)) << "never answered: stays down";
    EXPECT_FALSE(s.up());
    s.answered(t0);
    EXPECT_TRUE(s.update(t0 + 1s, true));
    EXPECT_TRUE(s.up());
    EXPECT_FALSE(s.update(t0 + 9s, true)) << "no change, nothing to log";
    EXPECT_TRUE(s.update(t0 + 10s, true)) << "offline_after passed without an answer";
    EXPECT_FALSE(s.up());
    s.answered(t0 + 11s);
    EXPECT_TRUE(s.update(t0 + 11s, true));
    EXPECT_TRUE(s.update(t0 + 11s, false)) << "a lost link is down at once";
    EXPECT_EQ(s.last_good(), t0 + 11s);
}

TEST(LinkPoints, CommonNamesFromTheLinkStatus) {
    vx::devices::link_status st;
    st.up = true;
    st.requests = 7;
    st.timeouts = 2;
    st.cycle_ms = 12.5;
    EXPECT_EQ(vx::devices::link_point(st, "link_up"), vx::core::value{std::int64_t{1}});
    EXPECT_EQ(vx::devices::link_point(st, "link_requests"), vx::core::value{std::int64_t{7}});
    EXPECT_EQ(vx::devices::link_point(st, "link_timeouts"), vx::core::value{std::int64_t{2}});
    EXPECT_EQ(vx::devices::link_point(st, "link_cycle_ms"), vx::core::value{12.5});
    EXPECT_FALSE(vx::core::has_value(vx::devices::link_point(st, "ess_setpoint")));
    for (const auto& n : vx::devices::common_link_points())
        EXPECT_TRUE(vx::core::has_value(vx::devices::link_point(st, n))) << n;
}

// A frame here is the raw bytes; the peer answers the n-th request (0-based) only when
// `answer(n)` says so, echoing it.
struct session_case {
    boost::asio::io_context io;
    int n = 0;
    std::function<bool(int)> answer;
    std::shared_ptr<vx::test::scripted_link> link = std::make_shared<vx::test::scripted_link>(
        io.get_executor(), [this](const bytes& b) { return answer(n++) ? b : bytes{}; });
    vx::devices::exchange_session<bytes> session{io.get_executor()};
    std::optional<std::optional<bytes>> result;

    session_case() {
        link->on_data = [this](std::span<const std::uint8_t> d) {
            bytes f(d.begin(), d.end());
            session.offer(f);
        };
        link->start();
    }
    void ask(vx::devices::exchange_session<bytes>::policy p) {
        boost::asio::co_spawn(
            io,
            [this, p]() -> boost::asio::awaitable<void> {
                const bytes req{1, 2, 3};
                result = co_await session.exchange(
                    *link, req, [](const bytes& f) { return f.size() == 3; }, p);
            },
            boost::asio::detached);
        ASSERT_TRUE(vx::test::run_until(io, [this] { return result.has_value(); }));
    }
};

TEST(ExchangeSession, ResendsAfterATimeoutUpToTheRetryCount) {
    session_case c;
    c.answer = [](int i) { return i == 2; };  // the third try is answered
    c.ask({20ms, 2, 0ms});
    ASSERT_TRUE(c.result->has_value());
    EXPECT_EQ(c.link->sent.size(), 3u);
    EXPECT_EQ(c.session.stats().requests, 3u);
    EXPECT_EQ(c.session.stats().timeouts, 2u);
}

TEST(ExchangeSession, GivesUpAfterTheLastRetry) {
    session_case c;
    c.answer = [](int) { return false; };
    c.ask({10ms, 1, 0ms});
    EXPECT_FALSE(c.result->has_value());
    EXPECT_EQ(c.link->sent.size(), 2u);
    EXPECT_EQ(c.session.stats().timeouts, 2u);
}

TEST(ExchangeSession, KeepsTheMinimumGapBetweenRequests) {
    session_case c;
    std::vector<clock_type::time_point> at;
    c.answer = [&](int) {
        at.push_back(clock_type::now());
        return true;
    };
    c.ask({100ms, 0, 80ms});
    c.result.reset();
    c.ask({100ms, 0, 80ms});
    ASSERT_EQ(at.size(), 2u);
    EXPECT_GE(at[1] - at[0], 80ms);
}

TEST(ExchangeSession, ALinkDownEndsTheRequestWithoutResendOrTimeout) {
    session_case c;
    c.answer = [&](int) {
        boost::asio::post(c.io, [&] { c.session.cancel(); });
        return false;
    };
    c.ask({10s, 3, 0ms});
    EXPECT_FALSE(c.result->has_value());
    EXPECT_EQ(c.link->sent.size(), 1u);
    EXPECT_EQ(c.session.stats().timeouts, 0u);
}

}  // namespace
