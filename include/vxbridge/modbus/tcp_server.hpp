// Modbus TCP server: Asio acceptor and connection manager (STYLE.md #4), limits and allow-list.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vxbridge/modbus/request_handler.hpp"

namespace vx::modbus {

struct tcp_options {
    std::string listen = "127.0.0.1:1502";
    std::size_t max_connections = 256;
    std::chrono::milliseconds idle_timeout{60'000};  // no request for this long -> close
    std::chrono::milliseconds frame_timeout{2'000};  // a started frame must complete in this time
    std::chrono::milliseconds write_timeout{5'000};  // a device must confirm a write in this time
    std::vector<std::string> allow;                  // CIDRs allowed to connect; empty = anyone
};

// Counters the status unit and logs read (any thread).
struct server_stats {
    std::atomic<std::uint64_t> connections_total{0};
    std::atomic<std::uint64_t> connections_refused{0};
    std::atomic<std::uint32_t> connections_open{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> exceptions{0};
    std::atomic<std::uint64_t> malformed{0};
};

// Parses "10.0.0.0/8", "::1/128" or a bare address; nullopt on bad input.
struct cidr {
    std::vector<boost::asio::ip::network_v4> v4;
    std::vector<boost::asio::ip::network_v6> v6;
    bool allows(const boost::asio::ip::address& a) const;
};
bool parse_cidr(const std::string& text, cidr& out);

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
