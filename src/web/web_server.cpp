// The only translation unit with Boost.Beast (compile time on 2 cores): sockets, HTTP framing,
// the WebSocket handshake and frames. What the view says comes from view_model.
#include "vxbridge/web/web_server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <map>

#include "vxbridge/modbus/cidr.hpp"
#include "vxbridge/web/view_model.hpp"

namespace vx::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kHeaderLimit = 8 * 1024;
constexpr std::size_t kBodyLimit = 1024;          // the view takes no bodies
constexpr std::size_t kMessageLimit = 16 * 1024;  // a page's subscription message
constexpr auto kRequestTimeout = 15s;             // a request (or keep-alive idle) must arrive
constexpr auto kWriteTimeout = 10s;               // a response must be taken
constexpr auto kLiveEvery = 500ms;                // at most 2 Hz per page
constexpr auto kSlowPage = 10s;                   // an update not taken in this time: close
constexpr const char* kPolicy =
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

}  // namespace

// A connection the server can close when it stops.
struct connection {
    virtual ~connection() = default;
    virtual void close() = 0;
};

struct web_server::impl : std::enable_shared_from_this<impl> {
    impl(asio::io_context& io, web_options o, sources s)
        : options(std::move(o)), src(std::move(s)), acceptor(io), history_timer(io) {
        for (const auto& c : options.allow)
            if (!modbus::parse_cidr(c, allow))
                throw std::runtime_error("allow: '" + c + "' is not a CIDR");
    }

    void accept();
    void on_accept(boost::system::error_code ec, tcp::socket socket);
    void sample_history();
    void refused(const tcp::endpoint& remote, const char* why);

    web_options options;
    sources src;
    ess_history history;
    modbus::cidr allow;
    tcp::acceptor acceptor;
    asio::steady_timer history_timer;
    std::map<connection*, std::weak_ptr<connection>> connections;
    steady::time_point last_refusal_log{};
    std::size_t refusals_unlogged = 0;
    bool stopped = false;
};

namespace {

using server_ptr = std::shared_ptr<web_server::impl>;

// Registers a connection with the server for its lifetime (the connection limit and stop()).
template <class Self>
void enroll(const server_ptr& server, const std::shared_ptr<Self>& self) {
    server->connections[self.get()] = self;
}

class ws_session final : public connection, public std::enable_shared_from_this<ws_session> {
  public:
    ws_session(tcp::socket socket, server_ptr server)
        : ws_(std::move(socket)), server_(std::move(server)), tick_(ws_.get_executor()) {}
    ~ws_session() override { server_->connections.erase(this); }

    void run(http::request<http::string_body> req) {
        websocket::stream_base::timeout t;
        t.handshake_timeout = 10s;
        t.idle_timeout = 60s;  // pings keep a live page open; a dead peer goes in a minute
        t.keep_alive_pings = true;
        ws_.set_option(t);
        ws_.set_option(websocket::stream_base::decorator(
            [](websocket::response_type& res) { res.set(http::field::server, "vxbridge"); }));
        ws_.read_message_max(kMessageLimit);
        ws_.async_accept(req, [self = shared_from_this()](boost::system::error_code ec) {
            if (ec) return;
            self->read();
            self->tick();
        });
    }

    void close() override {
        boost::system::error_code ignored;
        tick_.cancel();
        beast::get_lowest_layer(ws_).socket().close(ignored);
    }

  private:
    void read() {
        ws_.async_read(in_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
            self->on_read(ec);
        });
    }

    void on_read(boost::system::error_code ec) {
        if (ec) return close();  // closed, bad frame, oversized message: this page only
        if (!ws_.got_text()) {
            send_error("messages are JSON text");
        } else {
            const auto msg = beast::buffers_to_string(in_.data());
            if (auto why = view_.apply(msg); !why.empty()) send_error(why);
        }
        in_.consume(in_.size());
        read();
    }

    void send_error(const std::string& why) {
        auto text = error_json(why, true);
        if (writing_)
            pending_error_ = std::move(text);
        else
            write(std::move(text));
    }

    // Every 500 ms: what changed, unless the last update is still on its way - a slow page gets
    // fewer, larger updates, never a queue; one that takes nothing for 10 s is closed.
    void tick() {
        const auto now = steady::now();
        if (writing_) {
            if (now - write_started_ > kSlowPage) return close();
        } else if (auto u = view_.update(server_->src, server_->history, now); !u.empty()) {
            write(std::move(u));
        }
        tick_.expires_after(kLiveEvery);
        tick_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->tick();
        });
    }

    void write(std::string text) {
        writing_ = true;
        write_started_ = steady::now();
        out_ = std::move(text);
        ws_.text(true);
        ws_.async_write(asio::buffer(out_),
                        [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                            self->writing_ = false;
                            if (ec) return self->close();
                            if (!self->pending_error_.empty())
                                self->write(std::exchange(self->pending_error_, {}));
                        });
    }

    websocket::stream<beast::tcp_stream> ws_;
    server_ptr server_;
    asio::steady_timer tick_;
    beast::flat_buffer in_;
    live_view view_;
    std::string out_, pending_error_;
    bool writing_ = false;
    steady::time_point write_started_{};
};

class http_session final : public connection, public std::enable_shared_from_this<http_session> {
  public:
    http_session(tcp::socket socket, server_ptr server)
        : stream_(std::move(socket)), server_(std::move(server)) {}
    ~http_session() override { server_->connections.erase(this); }

    void start() { read(); }

    void close() override {
        boost::system::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

  private:
    void read() {
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(kBodyLimit);
        stream_.expires_after(kRequestTimeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                             self->on_read(ec);
                         });
    }

    void on_read(boost::system::error_code ec) {
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
            // A request line that did not end within the limit is a long URL (414); otherwise
            // the header fields are too large (431).
            const auto data = beast::buffers_to_string(buffer_.data());
            const bool line_ended = data.find("\r\n") != std::string::npos;
            return reply_error(line_ended ? 431 : 414, line_ended
                                                           ? "request header fields too large"
                                                           : "request target too long");
        }
        if (ec == http::error::body_limit) return reply_error(413, "the view takes no bodies");
        if (ec == http::error::end_of_stream) return close();
        if (ec) {
            if (ec != beast::error::timeout && ec != asio::error::operation_aborted &&
                buffer_.size() > 0)
                return reply_error(400, "malformed request");
            return close();
        }
        auto req = parser_->release();
        if (websocket::is_upgrade(req)) {
            if (req.target() != "/ws") return reply_error(404, "the WebSocket is at /ws");
            stream_.expires_never();
            auto ws = std::make_shared<ws_session>(stream_.release_socket(), server_);
            enroll(server_, ws);
            ws->run(std::move(req));
            return;
        }
        const auto method = req.method_string();
        const auto target = req.target();
        const auto a = answer(std::string_view(method.data(), method.size()),
                              std::string_view(target.data(), target.size()), server_->src,
                              server_->history, steady::now());
        send(a, req.keep_alive(), req.method() == http::verb::head, req.version());
    }

    void reply_error(unsigned status, const char* why) {
        http_response r;
        r.status = status;
        r.body = error_json(why);
        send(r, false, false, 11);
    }

    void send(const http_response& a, bool keep_alive, bool head, unsigned version) {
        auto res = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(a.status), version);
        res->set(http::field::server, "vxbridge");
        res->set(http::field::content_type, a.content_type);
        res->set(http::field::cache_control, a.cache ? "no-cache" : "no-store");
        res->set("X-Content-Type-Options", "nosniff");
        res->set("Content-Security-Policy", kPolicy);
        if (!a.allow.empty()) res->set(http::field::allow, a.allow);
        res->keep_alive(keep_alive);
        res->body() = a.body;
        res->prepare_payload();
        if (head) res->body().clear();  // Content-Length stays that of the GET
        stream_.expires_after(kWriteTimeout);
        http::async_write(stream_, *res,
                          [self = shared_from_this(), res, keep_alive](boost::system::error_code ec,
                                                                       std::size_t) {
                              if (ec || !keep_alive) return self->close();
                              self->read();
                          });
    }

    beast::tcp_stream stream_;
    server_ptr server_;
    beast::flat_buffer buffer_{kHeaderLimit + 1024};
    std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void web_server::impl::accept() {
    acceptor.async_accept(
        [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
            self->on_accept(ec, std::move(socket));
        });
}

void web_server::impl::on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (stopped || !acceptor.is_open()) return;
    if (ec) {
        // Out of file descriptors and the like: try again in a moment instead of spinning.
        auto retry = std::make_shared<asio::steady_timer>(acceptor.get_executor(), 100ms);
        retry->async_wait([self = shared_from_this(), retry](boost::system::error_code) {
            if (!self->stopped) self->accept();
        });
        return;
    }
    boost::system::error_code rec;
    const auto remote = socket.remote_endpoint(rec);
    if (rec) return accept();
    if (!allow.allows(remote.address())) {
        refused(remote, "address not in the allow-list");
    } else if (connections.size() >= options.max_connections) {
        refused(remote, "connection limit reached");
    } else {
        auto s = std::make_shared<http_session>(std::move(socket), shared_from_this());
        enroll(shared_from_this(), s);
        s->start();
    }
    accept();
}

// Refused connections are closed at once (the socket goes with this scope); the log says so at
// most every 10 s.
void web_server::impl::refused(const tcp::endpoint& remote, const char* why) {
    const auto now = steady::now();
    if (now - last_refusal_log < 10s) {
        ++refusals_unlogged;
        return;
    }
    spdlog::get("app")->warn("web view: refused {}: {} ({} more refused since last report)",
                             remote.address().to_string(), why, refusals_unlogged);
    last_refusal_log = now;
    refusals_unlogged = 0;
}

void web_server::impl::sample_history() {
    if (stopped) return;
    if (src.ess) history.sample(src.ess(), wall::now());
    history_timer.expires_after(1s);
    history_timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->sample_history();
    });
}

web_server::web_server(asio::io_context& io, web_options options, sources src)
    : impl_(std::make_shared<impl>(io, std::move(options), std::move(src))) {}

web_server::~web_server() {
    stop();
}

void web_server::start() {
    const auto ep = modbus::parse_endpoint(impl_->options.listen);
    auto& a = impl_->acceptor;
    boost::system::error_code ec;
    a.open(ep.protocol(), ec);
    if (!ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::runtime_error("web view: cannot listen on " + impl_->options.listen + ": " +
                                 ec.message());
    const auto bound = a.local_endpoint();
    spdlog::get("app")->info("web view on http://{}:{}/", bound.address().to_string(),
                             bound.port());
    impl_->accept();
    impl_->sample_history();
}

void web_server::stop() {
    if (impl_->stopped) return;
    impl_->stopped = true;
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->history_timer.cancel();
    auto open = impl_->connections;  // close() may end a session, which erases itself
    for (const auto& [raw, weak] : open)
        if (auto c = weak.lock()) c->close();
}

tcp::endpoint web_server::local_endpoint() const {
    return impl_->acceptor.local_endpoint();
}

}  // namespace vx::web
