// Byte links to a device gateway: serial (a pty too), UDP, TCP server (the MOXA dials in), TCP
// client. The protocol above never knows which (STYLE.md #2); each link reopens or reconnects
// by itself with back-off and reports its state.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "vxbridge/transport/options.hpp"

namespace vx::transport {

struct link_counters {
    std::uint64_t reconnects = 0, bytes_tx = 0, bytes_rx = 0;
};

class link {
  public:
    virtual ~link() = default;
    virtual void start() = 0;
    virtual void stop() = 0;
    // Queues one message (a frame) and returns at once: the bytes go out asynchronously, in
    // order, never blocking the event loop. False when the link is down (nothing is queued).
    // Call on the link's executor.
    bool send(std::span<const std::uint8_t> bytes);
    virtual bool connected() const = 0;
    virtual std::string describe() const = 0;

    std::function<void(std::span<const std::uint8_t>)> on_data;
    std::function<void(bool up, const std::string& why)> on_state;
    const link_counters& counters() const { return counters_; }

  protected:
    // Writes one message asynchronously and calls `done(ok)` on the link's executor when the
    // kernel took it (or failed); not called again before `done`.
    virtual void write_async(const std::vector<std::uint8_t>& message,
                             std::function<void(bool ok)> done) = 0;
    void report(bool up, const std::string& why) {
        if (up && seen_up_) ++counters_.reconnects;
        if (up) seen_up_ = true;
        if (!up) queue_.clear();  // what was queued for a connection that is gone is dropped
        if (on_state) on_state(up, why);
    }
    link_counters counters_;

  private:
    void write_next();
    bool seen_up_ = false;
    bool writing_ = false;
    std::deque<std::vector<std::uint8_t>> queue_;
    std::vector<std::uint8_t> in_flight_;
};

std::shared_ptr<link> make_serial_link(boost::asio::any_io_executor exec, serial_options o);
std::shared_ptr<link> make_udp_link(boost::asio::any_io_executor exec, udp_options o);
std::shared_ptr<link> make_tcp_server_link(boost::asio::any_io_executor exec, tcp_server_options o);
std::shared_ptr<link> make_tcp_client_link(boost::asio::any_io_executor exec, tcp_client_options o);
std::shared_ptr<link> make_link(boost::asio::any_io_executor exec, const link_options& o);

// "host:port" -> parts; throws std::invalid_argument with a readable message.
std::pair<std::string, unsigned short> split_host_port(const std::string& text);

// A pseudo-terminal whose slave is reachable through the symlink `path` (for simulators).
// Returns the master fd (raw mode); the slave fd stays open in `slave_fd` so the master does
// not read EIO while no client is attached.
int open_pty_link(const std::string& path, int& slave_fd);

}  // namespace vx::transport
