// The MK3 link: a transport serial link at 2400 8N1 (a pty works the same; it reopens with the
// bridge's back-off by itself), MK3 frames parsed off it, one request in flight through the
// driver skeleton's exchange session (replies matched by type and letter), counters for the
// status unit.
#pragma once

#include <utility>  // first: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "vxbridge/devices/exchange_session.hpp"
#include "vxbridge/devices/vebus/mk3_messages.hpp"
#include "vxbridge/transport/link.hpp"

namespace vx::devices::vebus {

struct link_stats {
    std::uint64_t requests = 0, timeouts = 0, checksum_errors = 0, reconnects = 0;
    std::uint64_t bytes_tx = 0, bytes_rx = 0;
};

class mk3_link {
  public:
    using clock = std::chrono::steady_clock;
    // On the serial port `port`, or over `link` when one is given (driver tests inject one).
    mk3_link(boost::asio::any_io_executor exec, std::string port,
             std::shared_ptr<transport::link> link = nullptr);
    ~mk3_link();

    // Opens the port (and keeps reopening it while it fails or vanishes).
    void start();
    void stop();
    bool is_open() const { return link_->connected(); }
    std::string describe() const { return link_->describe(); }

    // Sends `request` and waits for its reply; nullopt on timeout or with the port down. A
    // request that gets no reply completes with an empty frame once queued.
    boost::asio::awaitable<std::optional<frame>> exchange(frame request,
                                                          std::chrono::milliseconds timeout);

    // Every frame that answers nothing in flight (version frames, boot frames).
    std::function<void(const frame&)> on_unsolicited;
    // The port opened (up) or failed (down, with why).
    std::function<void(bool up, const std::string& why)> on_state;

    link_stats stats() const;
    clock::time_point last_heard() const { return last_heard_; }

  private:
    void on_data(std::span<const std::uint8_t> bytes);

    std::shared_ptr<transport::link> link_;
    devices::exchange_session<frame> session_;
    frame_parser parser_;
    clock::time_point last_heard_{}, last_byte_{};
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vx::devices::vebus
