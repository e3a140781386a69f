// `vxbridge sim vebus`: the simulated MK3 + Multi behind a pseudo-terminal (symlink `link`), so
// any MK3 client can drive it. 2400-baud byte timing, reply latency, an unsolicited version
// frame every second when idle, and faults that tests switch at run time.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "vxbridge/devices/sim_faults.hpp"
#include "vxbridge/devices/vebus/multi_sim.hpp"

namespace vx::devices::vebus {

struct sim_server_options {
    std::string link;                       // path of the symlink to the pty
    std::chrono::milliseconds latency{30};  // after the request's last byte
    bool byte_timing = true;                // 4.17 ms per byte each way
    multi_sim_options multi;
    // Load and PV follow day_profile(), starting at `start_hour`, `speed` times faster than
    // real time (the demo: a day in 24 minutes at 60).
    bool day_profile = false;
    double speed = 1;
    double start_hour = 6;
    // [U] An 'A' or 'S' while an 'F' reply is outstanding drops that reply (velib's warning).
    bool strict_f = true;
};

class sim_server : public std::enable_shared_from_this<sim_server> {
  public:
    sim_server(boost::asio::any_io_executor exec, sim_server_options options);
    ~sim_server();

    void start();  // creates the pty and the link; throws std::runtime_error
    void stop();
    // Closes the pty and removes the link; re-creates them after `gone`.
    void vanish(std::chrono::milliseconds gone);
    // One control line: "silent on|off", "drop P", "corrupt P", "delay MS", "latency MS",
    // "vanish MS", "busy on|off", "load W [L1|L2|L3]", "pv W", "grid_load W", "soc %",
    // "unit ADDR on|off", "status". Returns the answer line.

    std::string control(const std::string& line);

    multi_sim& multi() { return multi_; }
    const std::string& link() const { return options_.link; }

  private:
    void open_pty();
    void close_pty();
    void do_read();
    void reply(const frame& request, std::size_t request_bytes);
    void send_later(std::vector<std::uint8_t> bytes, std::chrono::steady_clock::time_point at,
                    std::shared_ptr<bool> live = nullptr);
    void arm_idle();
    void arm_tick();

    boost::asio::any_io_executor exec_;
    sim_server_options options_;
    multi_sim multi_;
    devices::sim_faults faults_;
    std::unique_ptr<boost::asio::posix::stream_descriptor> master_;
    int slave_fd_ = -1;
    frame_parser parser_;
    std::array<std::uint8_t, 256> rx_{};
    boost::asio::steady_timer idle_, tick_, reopen_;
    std::chrono::steady_clock::time_point busy_until_{}, last_tx_{}, started_{};
    std::mt19937 rng_{42};
    bool stopped_ = false;
    // 'A' frames received, and 'A'/'S' frames received while an 'F' reply was outstanding.
    std::uint64_t a_frames_ = 0, a_during_f_ = 0;
    // What went over the line: the floor of the benches (bytes x 10 bits + latency per answer).
    std::uint64_t rx_bytes_ = 0, tx_bytes_ = 0, answered_ = 0;
    std::shared_ptr<bool> f_pending_;
    std::chrono::steady_clock::time_point f_reply_at_{};
};

}  // namespace vx::devices::vebus
