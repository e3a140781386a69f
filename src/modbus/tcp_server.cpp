#include "vxbridge/modbus/tcp_server.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "vxbridge/modbus/cidr.hpp"
#include "vxbridge/modbus/tcp_session.hpp"

namespace vx::modbus {

namespace asio = boost::asio;
using asio::ip::tcp;

tcp_server::tcp_server(asio::io_context& io, std::shared_ptr<const request_handler> handler,
                       tcp_options options, server_stats& stats)
    : handler_(std::move(handler)),
      options_(std::move(options)),
      stats_(stats),
      acceptor_(io),
      retry_timer_(io) {
    for (const auto& c : options_.allow)
        if (!parse_cidr(c, allow_)) throw std::runtime_error("allow: '" + c + "' is not a CIDR");
}

tcp_server::~tcp_server() = default;

void tcp_server::start() {
    const auto ep = parse_endpoint(options_.listen);
    boost::system::error_code ec;
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + options_.listen + ": " + ec.message());
    const auto bound = acceptor_.local_endpoint();
    spdlog::get("modbus")->info(
        "Modbus {} listening on {}:{}",
        options_.frames == tcp_options::framing::rtu ? "RTU over TCP" : "TCP",
        bound.address().to_string(), bound.port());
    do_accept();
}

void tcp_server::stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
    auto sessions = sessions_;  // stop() removes from sessions_
    for (const auto& [raw, s] : sessions) s->stop();
    sessions_.clear();
}

tcp::endpoint tcp_server::local_endpoint() const {
    return acceptor_.local_endpoint();
}

void tcp_server::set_handler(std::shared_ptr<const request_handler> handler) {
    handler_ = std::move(handler);
}

void tcp_server::do_accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void tcp_server::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
        // Out of file descriptors and the like: wait a little instead of spinning.
        spdlog::get("modbus")->warn("accept failed: {}", ec.message());
        retry_timer_.expires_after(std::chrono::milliseconds(100));
        retry_timer_.async_wait([this](boost::system::error_code e) {
            if (!e) do_accept();
        });
        return;
    }
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec) {
        do_accept();
        return;
    }
    if (!allow_.allows(remote.address())) {
        refuse(socket, "address not in the allow-list");
    } else if (sessions_.size() >= options_.max_connections) {
        refuse(socket, "connection limit reached");
    } else {
        stats_.connections_total.fetch_add(1, std::memory_order_relaxed);
        stats_.connections_open.fetch_add(1, std::memory_order_relaxed);
        auto s = std::make_shared<tcp_session>(std::move(socket), options_, stats_, *this);
        sessions_.emplace(s.get(), s);
        s->start();
    }
    do_accept();
}

// Refused connections are closed at once; the log says so at most every 10 s.
void tcp_server::refuse(tcp::socket& socket, const char* why) {
    stats_.connections_refused.fetch_add(1, std::memory_order_relaxed);
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    socket.close(ec);
    const auto now = std::chrono::steady_clock::now();
    if (now - last_refusal_log_ < std::chrono::seconds(10)) {
        ++refusals_unlogged_;
        return;
    }
    spdlog::get("modbus")->warn(
        "refused connection from {}: {} ({} more refused since last report)",
        remote.address().to_string(), why, refusals_unlogged_);
    refusals_unlogged_ = 0;
    last_refusal_log_ = now;
}

void tcp_server::session_closed(tcp_session* s) {
    const auto it = sessions_.find(s);
    if (it == sessions_.end()) return;
    stats_.connections_open.fetch_sub(1, std::memory_order_relaxed);
    sessions_.erase(it);  // the session's own handlers keep it alive until they return
}

}  // namespace vx::modbus
