// Modbus RTU slave on a serial port. libmodbus does the framing, CRC and slave filtering; the
// requests go through the same request_handler as TCP. libmodbus's RTU calls block, so the
// port runs on its own thread (BUILD-NOTES section 3: one thread per serial bus).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "vxbridge/modbus/request_handler.hpp"
#include "vxbridge/modbus/server_stats.hpp"

namespace vx::modbus {

struct rtu_options {
    std::string port;
    int baud = 19200;
    char parity = 'E';  // 'N', 'E' or 'O' (Modbus RTU default: even)
    int stop_bits = 1;
    std::uint8_t unit_id = 1;  // libmodbus answers one slave address per port
    std::chrono::milliseconds write_timeout{5'000};
};

class rtu_server {
  public:
    struct ctx_deleter {  // modbus_t stays out of this header
        void operator()(void* ctx) const;
    };

    rtu_server(std::shared_ptr<const request_handler> handler, rtu_options options,
               server_stats& stats);
    ~rtu_server();

    // Opens the port (throws std::runtime_error with the reason) and starts serving.
    void start();
    void stop();
    void set_handler(std::shared_ptr<const request_handler> handler);

  private:
    void run();
    void serve(const std::uint8_t* adu, int length);

    std::shared_ptr<const request_handler> handler_;  // guarded by handler_mutex_
    std::mutex handler_mutex_;
    rtu_options options_;
    server_stats& stats_;
    std::unique_ptr<void, ctx_deleter> ctx_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

}  // namespace vx::modbus
