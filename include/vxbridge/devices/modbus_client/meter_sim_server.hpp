// `vxbridge sim vebus --meter MODEL ...`: a simulated grid meter (meter_sim) answering Modbus
// RTU on a pseudo-terminal - with the byte timing of its baud rate, several unit ids on one
// line, silence for other units and bad CRCs - or Modbus TCP on a listening socket. Faults for
// tests on control lines: the shared ones (silent, drop, corrupt, delay) plus garbage, freeze
// and vanish.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "vxbridge/devices/modbus_client/meter_sim.hpp"
#include "vxbridge/devices/sim_faults.hpp"

namespace vx::devices::modbus_client {

struct meter_sim_server_options {
    std::shared_ptr<const register_map::register_map> map;
    std::vector<int> units{1};
    std::string pty;         // RTU on a pty whose slave is this symlink, or
    std::string tcp_listen;  // Modbus TCP on HOST:PORT (port 0: any free one)
    int baud = 9600;         // RTU byte timing: 10 bits per byte (8N1)
    bool byte_timing = true;
    std::chrono::microseconds latency{5'000};  // after the request's last byte
    // The plant: power per phase now (W, + = import).
    std::function<std::array<double, 3>()> plant;
};

class meter_sim_server : public std::enable_shared_from_this<meter_sim_server> {
  public:
    meter_sim_server(boost::asio::any_io_executor exec, meter_sim_server_options options);
    ~meter_sim_server();
    void start();  // throws std::runtime_error
    void stop();
    // "silent on|off", "drop P", "corrupt P", "delay MS", "garbage on|off" (noise bytes before
    // every reply), "freeze on|off", "vanish MS", "status"; the answer line.
    std::string control(const std::string& line);
    // Where it answers (the pty link or HOST:PORT).
    std::string where() const;
    const meter_sim& meter() const { return meter_; }
    std::uint64_t requests() const { return requests_; }

  private:
    class tcp_conn;
    void open_pty();
    void close_pty();
    void read_pty();
    void serve_rtu();
    void accept();
    void arm_tick();
    std::vector<std::uint8_t> answer(std::span<const std::uint8_t> pdu);
    bool serves(int unit) const;
    void send_later(std::vector<std::uint8_t> bytes, std::chrono::steady_clock::time_point at);

    boost::asio::any_io_executor exec_;
    meter_sim_server_options options_;
    meter_sim meter_;
    devices::sim_faults faults_;
    bool garbage_ = false;
    std::unique_ptr<boost::asio::posix::stream_descriptor> master_;
    int slave_fd_ = -1;
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
    std::vector<std::weak_ptr<tcp_conn>> conns_;
    std::vector<std::uint8_t> rx_;
    std::array<std::uint8_t, 512> buf_{};
    boost::asio::steady_timer tick_, reopen_;
    std::chrono::steady_clock::time_point busy_until_{};
    std::mt19937 rng_{11};
    std::uint64_t requests_ = 0;
    bool stopped_ = false;
};

}  // namespace vx::devices::modbus_client
