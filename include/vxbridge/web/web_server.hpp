// The commissioning view's HTTP and WebSocket server (Boost.Beast) on the gateway's io_context:
// the page and its assets, the JSON API under /api/, live updates on /ws. Read-only; the Modbus
// servers' allow-list applies; bounded everywhere (connections, header and message sizes,
// timeouts, one message in flight per page) so that open pages and hostile clients leave Modbus
// serving undisturbed.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "vxbridge/web/sources.hpp"

namespace vx::web {

struct web_options {
    std::string listen = "127.0.0.1:8080";
    std::vector<std::string> allow;    // CIDRs; empty = anyone
    std::size_t max_connections = 64;  // HTTP + WebSocket
};

class web_server {
  public:
    web_server(boost::asio::io_context& io, web_options options, sources src);
    ~web_server();
    web_server(const web_server&) = delete;
    web_server& operator=(const web_server&) = delete;

    // Listens (throws std::runtime_error when it cannot) and starts sampling the ESS history.
    void start();
    // Closes the listener and every connection.
    void stop();
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    struct impl;  // the sessions' shared state (web_server.cpp)

  private:
    std::shared_ptr<impl> impl_;
};

}  // namespace vx::web
