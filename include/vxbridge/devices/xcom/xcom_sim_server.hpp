// `vxbridge sim xcom`: the Xcom-232i simulator on a real transport: a pty (plain 38400 8E1, or
// the Xcom-LAN personality with CR LF after each frame), UDP (like a MOXA in UDP mode), TCP
// connect (like a MOXA dialling in) or TCP listen. Latency, a periodic slow window, GATEWAY_BUSY
// windows and run-time faults (stdin control lines) as the real gateway shows them.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <random>
#include <string>

#include "vxbridge/devices/sim_faults.hpp"
#include "vxbridge/devices/xcom/xcom_sim.hpp"
#include "vxbridge/transport/link.hpp"

namespace vx::devices::xcom {

struct xcom_sim_server_options {
    enum class mode { pty, udp, tcp_connect, tcp_listen } how = mode::pty;
    std::string address;   // pty link path, or HOST:PORT
    std::string udp_dest;  // UDP: where replies go (default: the sender)
    bool lan = false;      // pty: Xcom-LAN personality (CR LF after every frame)
    std::chrono::milliseconds latency{100};
    std::chrono::seconds slow_every{60};  // every so often replies are slower (datalogger)
    std::chrono::milliseconds slow_extra{800};
    xcom_sim_options sim;
};

class xcom_sim_server : public std::enable_shared_from_this<xcom_sim_server> {
  public:
    xcom_sim_server(boost::asio::any_io_executor exec, xcom_sim_server_options o);
    ~xcom_sim_server();
    void start();
    void stop();
    // "silent on|off", "drop P" (probability a reply loses a run of bytes), "corrupt P",
    // "delay MS", "busy on|off", "vanish MS", "param ADDRESS NR", and the plant's "load W",
    // "pv PERCENT", "acin on|off", "soc PERCENT"; "status" prints the plant.

    std::string control(const std::string& line);
    xcom_sim& sim() { return sim_; }
    std::string where() const;

  private:
    void open_link();
    void on_data(std::span<const std::uint8_t> bytes);
    void send_later(std::vector<std::uint8_t> bytes, std::chrono::steady_clock::time_point at);

    boost::asio::any_io_executor exec_;
    xcom_sim_server_options o_;
    xcom_sim sim_;
    std::shared_ptr<transport::link> link_;
    frame_parser parser_;
    boost::asio::steady_timer reopen_;
    std::chrono::steady_clock::time_point busy_until_{}, start_ = std::chrono::steady_clock::now();
    devices::sim_faults faults_;
    bool stopped_ = false;
    std::mt19937 rng_{7};
};

}  // namespace vx::devices::xcom
