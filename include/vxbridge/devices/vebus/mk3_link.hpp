// The MK3 serial link: 2400 8N1 through Asio (a pty works the same), one request in flight,
// replies matched by type and letter, a deadline per request, counters for the status unit.
#pragma once

#include <utility>  // first: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "vxbridge/devices/vebus/mk3_messages.hpp"

namespace vx::vebus {

struct link_stats {
    std::uint64_t requests = 0, timeouts = 0, checksum_errors = 0, reconnects = 0;
    std::uint64_t bytes_tx = 0, bytes_rx = 0;
};

class mk3_link {
  public:
    using clock = std::chrono::steady_clock;
    mk3_link(boost::asio::any_io_executor exec, std::string port);
    ~mk3_link();

    // Opens the port at 2400 8N1 and starts reading; false (and a reason) when it cannot.
    bool open(std::string& why);
    void close();
    bool is_open() const { return port_.is_open(); }

    // Sends `request` and waits for its reply; nullopt on timeout or a port error. A request
    // that gets no reply completes with an empty frame once written.
    boost::asio::awaitable<std::optional<frame>> exchange(frame request,
                                                          std::chrono::milliseconds timeout);

    // Called for every frame that answers nothing in flight (version frames, boot frames).
    std::function<void(const frame&)> on_unsolicited;

    const link_stats& stats() const { return stats_; }
    link_stats& stats() { return stats_; }
    clock::time_point last_heard() const { return last_heard_; }
    bool failed() const { return failed_; }  // the port reported an error: reopen it

  private:
    void do_read();

    boost::asio::serial_port port_;
    std::string path_;
    boost::asio::steady_timer wait_;
    frame_parser parser_;
    std::array<std::uint8_t, 256> rx_{};
    const frame* waiting_for_ = nullptr;
    std::optional<frame> reply_;
    link_stats stats_;
    clock::time_point last_heard_{}, last_byte_{};
    bool failed_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vx::vebus
