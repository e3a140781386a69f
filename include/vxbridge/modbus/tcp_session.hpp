// One Modbus TCP connection: MBAP framing (or RTU frames, RTU over TCP), pipelined requests
// answered in order, deadlines.
// Requests of one connection are served one after another: while a write waits for its device,
// later requests stay buffered, so a read pipelined behind a write sees the written value.
//
// MBAP framing (mbap.hpp) is ours rather than libmodbus's: libmodbus's receive path blocks on
// the socket and its reply path cannot defer a response (see pdu.hpp), so the bytes are framed
// here and handed to our request handler.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "vxbridge/modbus/request_handler.hpp"
#include "vxbridge/modbus/tcp_server.hpp"

namespace vx::modbus {

class tcp_session : public std::enable_shared_from_this<tcp_session> {
  public:
    tcp_session(boost::asio::ip::tcp::socket socket, const tcp_options& options,
                server_stats& stats, tcp_server& server);

    void start();
    void stop();  // closes the socket; pending device writes are abandoned

  private:
    using time_point = std::chrono::steady_clock::time_point;
    // The write this connection waits for; later requests wait in rx_.
    struct pending {
        std::uint64_t seq = 0;
        std::array<std::uint8_t, 8> header{};  // MBAP header + function code
        std::unique_ptr<pending_write> job;
    };

    void do_read();
    void on_read(boost::system::error_code ec, std::size_t n);
    bool process_frames();  // false when the stream is malformed
    bool process_rtu();     // RTU over TCP
    void serve_rtu(std::span<const std::uint8_t> frame);
    void consumed(std::size_t pos, bool held_back);
    void serve(std::span<const std::uint8_t> adu);
    void start_write_job(std::unique_ptr<pending_write> job, const std::uint8_t* header);
    void complete(std::uint64_t seq, std::vector<std::uint8_t> pdu);
    void append_response(const std::uint8_t* header, const std::vector<std::uint8_t>& pdu);
    void do_write();
    void arm_timer(time_point at);
    void on_timer(boost::system::error_code ec);
    bool want_read() const;
    void close(const char* why);

    boost::asio::ip::tcp::socket socket_;
    const tcp_options& options_;
    server_stats& stats_;
    tcp_server& server_;
    boost::asio::steady_timer timer_;
    std::string peer_;

    std::array<std::uint8_t, 4096> rx_{};
    std::size_t rx_len_ = 0;
    std::vector<std::uint8_t> out_;      // responses ready to send, in request order
    std::vector<std::uint8_t> writing_;  // the buffer of the write in flight
    std::optional<pending> pending_;
    boost::asio::steady_timer write_deadline_;
    std::uint64_t next_seq_ = 0;
    bool reading_ = false;
    bool writing_active_ = false;
    bool closed_ = false;
    time_point last_activity_;
    time_point partial_since_{};
    time_point timer_at_{};
};

}  // namespace vx::modbus
