// Modbus RTU slave on a serial port that answers many unit ids, as an Xcom-485i answers every
// device on its bus: every unit of the site, or the ones the port lists.
//
// The framing is ours (rtu_frame.hpp) rather than libmodbus's: libmodbus's RTU context filters a
// single slave address before the CRC (BUILD-NOTES.md section 3) and blocks on the port, so one
// port could serve one unit and a slow device write would stall its thread. Here the port is an
// Asio serial link on the gateway's io_context: a frame ends after a silence of t3.5 (1.75 ms
// above 19200 baud), the CRC is checked, a request for a unit we do not serve is ignored (other
// slaves share the bus), a broadcast (unit 0) write is applied without a reply, a bad CRC gets
// no reply, and requests are served one at a time - the reply to a confirmed write waits for the
// device, delaying only this bus. Requests go through the same request_handler as TCP.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "vxbridge/modbus/request_handler.hpp"
#include "vxbridge/modbus/server_stats.hpp"

namespace vx::transport {
class link;
}

namespace vx::modbus {

struct rtu_options {
    std::string port;
    int baud = 19200;
    char parity = 'E';  // 'N', 'E' or 'O' (Modbus RTU default: even)
    int stop_bits = 1;
    std::vector<std::uint8_t> units;  // empty: every unit of the router
    std::chrono::milliseconds write_timeout{5'000};
};

class rtu_server : public std::enable_shared_from_this<rtu_server> {
  public:
    rtu_server(boost::asio::any_io_executor exec, std::shared_ptr<const request_handler> handler,
               rtu_options options, server_stats& stats);
    ~rtu_server();

    // Opens the port (reopened with back-off when it fails or vanishes) and starts serving.
    void start();
    void stop();
    void set_handler(std::shared_ptr<const request_handler> handler);

  private:
    void on_data(std::span<const std::uint8_t> bytes);
    void on_silence();
    void process();
    bool serves(std::uint8_t unit) const;
    void serve(std::span<const std::uint8_t> frame);
    void reply(std::uint8_t unit, std::vector<std::uint8_t> pdu);

    boost::asio::any_io_executor exec_;
    std::shared_ptr<const request_handler> handler_;
    rtu_options options_;
    std::string client_;  // who the write journal says wrote: "rtu PORT"
    server_stats& stats_;
    std::shared_ptr<transport::link> link_;
    boost::asio::steady_timer silence_, write_deadline_;
    std::vector<std::uint8_t> line_;                 // bytes since the last silence
    std::vector<std::vector<std::uint8_t>> frames_;  // complete runs waiting for a write to end
    std::unique_ptr<pending_write> pending_;
    std::uint64_t seq_ = 0;
    bool stopped_ = false;
};

}  // namespace vx::modbus
