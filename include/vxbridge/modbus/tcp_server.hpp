// Modbus TCP server: Asio acceptor and connection manager (STYLE.md #4), limits and allow-list.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vxbridge/modbus/cidr.hpp"
#include "vxbridge/modbus/request_handler.hpp"
#include "vxbridge/modbus/server_stats.hpp"
#include "vxbridge/modbus/tcp_options.hpp"

namespace vx::modbus {

class tcp_session;

class tcp_server {
  public:
    tcp_server(boost::asio::io_context& io, std::shared_ptr<const request_handler> handler,
               tcp_options options, server_stats& stats);
    ~tcp_server();

    // Binds and listens; throws std::runtime_error with a readable message on failure.
    void start();
    // Closes the acceptor and every connection.
    void stop();
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    // Swaps the handler new connections and requests use (config reload).
    void set_handler(std::shared_ptr<const request_handler> handler);
    // The handler requests are served with now (sessions ask per request).
    const request_handler& handler() const { return *handler_; }

    void session_closed(tcp_session* s);

  private:
    void do_accept();
    void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
    void refuse(boost::asio::ip::tcp::socket& socket, const char* why);

    std::shared_ptr<const request_handler> handler_;
    tcp_options options_;
    server_stats& stats_;
    cidr allow_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::steady_timer retry_timer_;
    std::unordered_map<tcp_session*, std::shared_ptr<tcp_session>> sessions_;
    std::chrono::steady_clock::time_point last_refusal_log_{};
    std::uint64_t refusals_unlogged_ = 0;
};

}  // namespace vx::modbus
