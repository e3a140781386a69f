// The driver skeleton's request/reply part: one request in flight on a byte link, a deadline,
// the reply picked out by a predicate, counters. The driver's frame parser offers every frame it
// decodes; a frame no request waits for stays the driver's (unsolicited: version frames, the
// Studer portal's traffic). Protocol logic (what to ask, retries on busy) stays in the driver.
#pragma once

#include <utility>  // first: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "vxbridge/transport/link.hpp"

namespace vx::devices {

template <class Frame>
class exchange_session {
  public:
    using matcher = std::function<bool(const Frame&)>;
    struct counters {
        std::uint64_t requests = 0, timeouts = 0;
    };

    // How one request is asked: its reply deadline, resends after a timeout (never after the
    // link went down), and the quiet time the peer needs between two requests.
    struct policy {
        std::chrono::milliseconds timeout{1000};
        int retries = 0;
        std::chrono::milliseconds min_gap{0};
    };

    explicit exchange_session(boost::asio::any_io_executor exec) : timer_(std::move(exec)) {}

    // Sends `bytes` and waits up to `timeout` for a frame `matches` accepts. nullopt: no such
    // frame in time, or the link is down (then nothing was sent and no timeout is counted).
    // Without a matcher the request expects no reply: an empty frame once it is queued.
    boost::asio::awaitable<std::optional<Frame>> exchange(transport::link& link,
                                                          std::span<const std::uint8_t> bytes,
                                                          matcher matches,
                                                          std::chrono::milliseconds timeout) {
        co_return co_await exchange(link, bytes, std::move(matches), policy{timeout});
    }

    // The same, resent up to `p.retries` times while no reply comes, each send at least
    // `p.min_gap` after the one before.
    boost::asio::awaitable<std::optional<Frame>> exchange(transport::link& link,
                                                          std::span<const std::uint8_t> bytes,
                                                          matcher matches, policy p) {
        for (int attempt = 0; attempt <= p.retries; ++attempt) {
            if (!co_await wait_gap(p.min_gap)) co_return std::nullopt;
            if (!link.send(bytes)) co_return std::nullopt;
            last_send_ = std::chrono::steady_clock::now();
            ++counters_.requests;
            if (!matches) co_return Frame{};
            reply_.reset();
            matches_ = matches;
            timer_.expires_after(p.timeout);
            boost::system::error_code ec;
            co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
            matches_ = nullptr;
            if (reply_) {
                cancelled_ = false;
                co_return std::exchange(reply_, std::nullopt);
            }
            if (std::exchange(cancelled_, false)) co_return std::nullopt;
            ++counters_.timeouts;
        }
        co_return std::nullopt;
    }

    // A decoded frame: true when it answers the request in flight (it is then taken).
    bool offer(Frame& f) {
        if (!matches_ || reply_ || !matches_(f)) return false;
        reply_ = std::move(f);
        timer_.cancel();
        return true;
    }

    // The link went down: the request in flight (or its gap) ends now, without counting a
    // timeout or resending.
    void cancel() {
        if (!matches_ && !gap_) return;
        cancelled_ = true;
        timer_.cancel();
    }

    const counters& stats() const { return counters_; }

  private:
    // False when cancelled while waiting.
    boost::asio::awaitable<bool> wait_gap(std::chrono::milliseconds min_gap) {
        const auto until = last_send_ + min_gap;
        if (min_gap.count() <= 0 || std::chrono::steady_clock::now() >= until) co_return true;
        gap_ = true;
        timer_.expires_at(until);
        boost::system::error_code ec;
        co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
        gap_ = false;
        co_return !std::exchange(cancelled_, false);
    }

    boost::asio::steady_timer timer_;
    std::chrono::steady_clock::time_point last_send_{};
    bool gap_ = false;
    matcher matches_;
    std::optional<Frame> reply_;
    bool cancelled_ = false;
    counters counters_;
};

}  // namespace vx::devices
