// The driver skeleton's write queue: writes jump the poll queue, a write that arrives while the
// driver pauses between polls ends the pause at once (also one that arrived while an exchange
// was on the wire, before the pause began), and stopping fails what is queued.
#pragma once

#include <utility>  // first: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <deque>
#include <string>

#include "vxbridge/core/command.hpp"

namespace vx::devices {

// Command: a driver's write command with a `core::write_done done` member. Used on the
// driver's executor only.
template <class Command>
class command_queue {
  public:
    explicit command_queue(boost::asio::any_io_executor exec) : wake_(std::move(exec)) {}

    void push(Command c) {
        queue_.push_back(std::move(c));
        wake_.cancel();  // a waiting pause ends now
    }
    bool empty() const { return queue_.empty(); }
    std::size_t size() const { return queue_.size(); }
    Command pop() {
        Command c = std::move(queue_.front());
        queue_.pop_front();
        return c;
    }

    // Waits `d`, or less: not at all while a command is queued; until one arrives or wake().
    boost::asio::awaitable<void> pause(std::chrono::milliseconds d) {
        if (!queue_.empty()) co_return;
        boost::system::error_code ec;
        wake_.expires_after(d);
        co_await wake_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    // Ends a pause (a link came up or went down, the driver stops).
    void wake() { wake_.cancel(); }

    // Answers every queued command with `o` (stopping, link down) and empties the queue.
    void fail_all(core::outcome o, const std::string& detail) {
        auto q = std::move(queue_);
        queue_.clear();
        for (auto& c : q) c.done(core::make_result(o, detail));
    }

  private:
    boost::asio::steady_timer wake_;
    std::deque<Command> queue_;
};

}  // namespace vx::devices
