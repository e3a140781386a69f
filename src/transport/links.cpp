#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/serial_port.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "vxbridge/transport/backoff.hpp"
#include "vxbridge/transport/link.hpp"

namespace vx::transport {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::pair<std::string, unsigned short> split_host_port(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon + 1 == text.size())
        throw std::invalid_argument("'" + text + "' needs HOST:PORT");
    const auto port = std::stoul(text.substr(colon + 1));
    if (port > 65535) throw std::invalid_argument("'" + text + "': port out of range");
    std::string host = text.substr(0, colon);
    if (host.empty()) host = "0.0.0.0";
    return {host, static_cast<unsigned short>(port)};
}

int open_pty_link(const std::string& path, int& slave_fd) {
    int master = -1, slave = -1;
    if (openpty(&master, &slave, nullptr, nullptr, nullptr) != 0)
        throw std::runtime_error(std::string("openpty: ") + std::strerror(errno));
    termios t{};
    tcgetattr(slave, &t);
    cfmakeraw(&t);
    tcsetattr(slave, TCSANOW, &t);
    std::error_code ec;
    std::filesystem::remove(path, ec);
    std::filesystem::create_symlink(ttyname(slave), path, ec);
    if (ec) {
        ::close(master);
        ::close(slave);
        throw std::runtime_error("cannot create " + path + ": " + ec.message());
    }
    fcntl(master, F_SETFD, FD_CLOEXEC);
    fcntl(slave, F_SETFD, FD_CLOEXEC);
    slave_fd = slave;
    return master;
}

bool link::send(std::span<const std::uint8_t> bytes) {
    if (!connected()) return false;
    queue_.emplace_back(bytes.begin(), bytes.end());
    if (!writing_) write_next();
    return true;
}

void link::write_next() {
    if (queue_.empty()) {
        writing_ = false;
        return;
    }
    writing_ = true;
    // The message in flight is kept apart from the queue, which a lost connection clears.
    in_flight_ = std::move(queue_.front());
    queue_.pop_front();
    // The completion runs only while the link lives (each write_async checks its weak self).
    write_async(in_flight_, [this](bool ok) {
        if (ok) counters_.bytes_tx += in_flight_.size();
        if (!ok) queue_.clear();
        write_next();
    });
}

namespace {

class serial_link final : public link, public std::enable_shared_from_this<serial_link> {
  public:
    serial_link(asio::any_io_executor ex, serial_options o)
        : port_(ex), timer_(ex), o_(std::move(o)) {}
    void start() override { open(); }
    void stop() override {
        stopped_ = true;
        timer_.cancel();
        boost::system::error_code ec;
        port_.close(ec);
    }
    bool connected() const override { return port_.is_open(); }
    std::string describe() const override { return "serial " + o_.port; }

  protected:
    void write_async(const std::vector<std::uint8_t>& m, std::function<void(bool)> done) override {
        tx_ = m;
        if (o_.crlf) tx_.insert(tx_.end(), {0x0D, 0x0A});
        asio::async_write(port_, asio::buffer(tx_),
                          [w = weak_from_this(), done = std::move(done)](
                              boost::system::error_code ec, std::size_t) {
                              auto s = w.lock();
                              if (!s) return;
                              done(!ec);
                              if (ec && ec != asio::error::operation_aborted && !s->stopped_)
                                  s->fail(ec.message());
                          });
    }

  private:
    void open() {
        if (stopped_) return;
        boost::system::error_code ec;
        port_.open(o_.port, ec);
        using sp = asio::serial_port;
        if (!ec) port_.set_option(sp::baud_rate(static_cast<unsigned>(o_.baud)), ec);
        if (!ec) port_.set_option(sp::character_size(8), ec);
        if (!ec)
            port_.set_option(sp::parity(o_.parity == 'E'   ? sp::parity::even
                                        : o_.parity == 'O' ? sp::parity::odd
                                                           : sp::parity::none),
                             ec);
        if (!ec)
            port_.set_option(
                sp::stop_bits(o_.stop_bits == 2 ? sp::stop_bits::two : sp::stop_bits::one), ec);
        if (!ec) port_.set_option(sp::flow_control(sp::flow_control::none), ec);
        if (ec) return fail(ec.message());
        backoff_.reset();
        report(true, "opened");
        read();
    }
    void fail(const std::string& why) {
        boost::system::error_code ignored;
        port_.close(ignored);
        report(false, why);
        if (stopped_) return;
        timer_.expires_after(backoff_.next());
        timer_.async_wait([w = weak_from_this()](boost::system::error_code e) {
            if (auto s = w.lock(); s && !e) s->open();
        });
    }
    void read() {
        port_.async_read_some(asio::buffer(rx_),
                              [w = weak_from_this()](boost::system::error_code ec, std::size_t n) {
                                  auto s = w.lock();
                                  if (!s || s->stopped_) return;
                                  if (ec) return s->fail(ec.message());
                                  s->counters_.bytes_rx += n;
                                  if (s->on_data) s->on_data(std::span(s->rx_.data(), n));
                                  s->read();
                              });
    }
    asio::serial_port port_;
    asio::steady_timer timer_;
    serial_options o_;
    std::array<std::uint8_t, 2048> rx_{};
    std::vector<std::uint8_t> tx_;
    backoff backoff_;
    bool stopped_ = false;
};

class udp_link final : public link, public std::enable_shared_from_this<udp_link> {
  public:
    udp_link(asio::any_io_executor ex, udp_options o) : socket_(ex), o_(std::move(o)) {}
    void start() override {
        const auto [lh, lp] = split_host_port(o_.local.empty() ? "0.0.0.0:0" : o_.local);
        asio::ip::udp::endpoint local(asio::ip::make_address(lh), lp);
        socket_.open(local.protocol());
        socket_.set_option(asio::socket_base::reuse_address(true));
        socket_.bind(local);
        if (!o_.remote.empty()) {
            const auto [rh, rp] = split_host_port(o_.remote);
            peer_ = {asio::ip::make_address(rh), rp};
            have_peer_ = true;
        }
        report(true, "bound to " + o_.local);
        read();
    }
    void stop() override {
        boost::system::error_code ec;
        socket_.close(ec);
    }
    bool connected() const override { return socket_.is_open(); }
    std::string describe() const override {
        return "udp " + o_.local + " -> " + (o_.remote.empty() ? "sender" : o_.remote);
    }
    asio::ip::udp::endpoint local_endpoint() const { return socket_.local_endpoint(); }

  protected:
    void write_async(const std::vector<std::uint8_t>& m, std::function<void(bool)> done) override {
        if (!have_peer_) return done(false);           // nobody to answer yet
        socket_.async_send_to(asio::buffer(m), peer_,  // one datagram = one frame
                              [w = weak_from_this(), done = std::move(done)](
                                  boost::system::error_code ec, std::size_t) {
                                  if (w.lock()) done(!ec);
                              });
    }

  private:
    void read() {
        socket_.async_receive_from(
            asio::buffer(rx_), from_,
            [w = weak_from_this()](boost::system::error_code ec, std::size_t n) {
                auto s = w.lock();
                if (!s || ec == asio::error::operation_aborted || !s->socket_.is_open()) return;
                if (!ec) {
                    if (s->o_.remote.empty()) {
                        s->peer_ = s->from_;
                        s->have_peer_ = true;
                    }
                    s->counters_.bytes_rx += n;
                    if (s->on_data) s->on_data(std::span(s->rx_.data(), n));
                }
                s->read();
            });
    }
    asio::ip::udp::socket socket_;
    udp_options o_;
    asio::ip::udp::endpoint peer_, from_;
    bool have_peer_ = false;
    std::array<std::uint8_t, 4096> rx_{};
};

// TCP stream shared by the server and client links.
class tcp_stream_link : public link {
  public:
    explicit tcp_stream_link(asio::any_io_executor ex) : socket_(ex) {}
    bool connected() const override { return socket_.is_open(); }

  protected:
    template <class Self>
    static void write_on(const std::shared_ptr<Self>& self, const std::vector<std::uint8_t>& m,
                         std::function<void(bool)> done) {
        asio::async_write(self->socket_, asio::buffer(m),
                          [w = std::weak_ptr<Self>(self), done = std::move(done)](
                              boost::system::error_code ec, std::size_t) {
                              if (w.lock()) done(!ec);
                          });
    }
    template <class Self>
    static void read(const std::shared_ptr<Self>& self) {
        self->socket_.async_read_some(
            asio::buffer(self->rx_),
            [w = std::weak_ptr<Self>(self)](boost::system::error_code ec, std::size_t n) {
                auto s = w.lock();
                if (!s || ec == asio::error::operation_aborted) return;
                if (ec) return static_cast<tcp_stream_link&>(*s).lost(ec.message());
                s->counters_.bytes_rx += n;
                if (s->on_data) s->on_data(std::span(s->rx_.data(), n));
                read(s);
            });
    }
    virtual void lost(const std::string& why) = 0;
    asio::ip::tcp::socket socket_;
    std::array<std::uint8_t, 4096> rx_{};
};

class tcp_server_link final : public tcp_stream_link,
                              public std::enable_shared_from_this<tcp_server_link> {
  public:
    tcp_server_link(asio::any_io_executor ex, tcp_server_options o)
        : tcp_stream_link(ex), acceptor_(ex), o_(std::move(o)) {}
    void start() override {
        const auto [h, p] = split_host_port(o_.listen);
        asio::ip::tcp::endpoint ep(asio::ip::make_address(h), p);
        acceptor_.open(ep.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(ep);
        acceptor_.listen();
        accept();
    }
    void stop() override {
        boost::system::error_code ec;
        acceptor_.close(ec);
        socket_.close(ec);
    }
    std::string describe() const override { return "tcp server " + o_.listen; }

  protected:
    void write_async(const std::vector<std::uint8_t>& m, std::function<void(bool)> done) override {
        write_on(shared_from_this(), m, std::move(done));
    }

  private:
    void accept() {
        acceptor_.async_accept(
            [w = weak_from_this()](boost::system::error_code ec, asio::ip::tcp::socket s) {
                auto self = w.lock();
                if (!self || !self->acceptor_.is_open()) return;
                if (!ec) {
                    // The MOXA reconnects after a restart: the newest connection wins.
                    boost::system::error_code ignored;
                    self->socket_.close(ignored);
                    self->socket_ = std::move(s);
                    self->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
                    const auto peer = self->socket_.remote_endpoint(ignored);
                    self->report(true, "connection from " + peer.address().to_string());
                    read(self);
                }
                self->accept();
            });
    }
    void lost(const std::string& why) override {
        boost::system::error_code ec;
        socket_.close(ec);
        report(false, why);
    }
    asio::ip::tcp::acceptor acceptor_;
    tcp_server_options o_;
};

class tcp_client_link final : public tcp_stream_link,
                              public std::enable_shared_from_this<tcp_client_link> {
  public:
    tcp_client_link(asio::any_io_executor ex, tcp_client_options o)
        : tcp_stream_link(ex), timer_(ex), o_(std::move(o)) {}
    void start() override { connect(); }
    void stop() override {
        stopped_ = true;
        timer_.cancel();
        boost::system::error_code ec;
        socket_.close(ec);
    }
    std::string describe() const override { return "tcp client " + o_.connect; }

  protected:
    void write_async(const std::vector<std::uint8_t>& m, std::function<void(bool)> done) override {
        write_on(shared_from_this(), m, std::move(done));
    }

  private:
    void connect() {
        if (stopped_) return;
        const auto [h, p] = split_host_port(o_.connect);
        boost::system::error_code ec;
        const auto addr = asio::ip::make_address(h, ec);
        if (ec) return retry("bad address " + h);
        socket_.async_connect({addr, p}, [w = weak_from_this()](boost::system::error_code e) {
            auto s = w.lock();
            if (!s || s->stopped_) return;
            if (e) return s->retry(e.message());
            boost::system::error_code ignored;
            s->socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
            s->backoff_.reset();
            s->report(true, "connected to " + s->o_.connect);
            read(s);
        });
    }
    void retry(const std::string& why) {
        boost::system::error_code ec;
        socket_.close(ec);
        report(false, why);
        timer_.expires_after(backoff_.next());
        timer_.async_wait([w = weak_from_this()](boost::system::error_code e) {
            if (auto s = w.lock(); s && !e) s->connect();
        });
    }
    void lost(const std::string& why) override { retry(why); }
    asio::steady_timer timer_;
    tcp_client_options o_;
    backoff backoff_;
    bool stopped_ = false;
};

}  // namespace

std::shared_ptr<link> make_serial_link(asio::any_io_executor e, serial_options o) {
    return std::make_shared<serial_link>(e, std::move(o));
}
std::shared_ptr<link> make_udp_link(asio::any_io_executor e, udp_options o) {
    return std::make_shared<udp_link>(e, std::move(o));
}
std::shared_ptr<link> make_tcp_server_link(asio::any_io_executor e, tcp_server_options o) {
    return std::make_shared<tcp_server_link>(e, std::move(o));
}
std::shared_ptr<link> make_tcp_client_link(asio::any_io_executor e, tcp_client_options o) {
    return std::make_shared<tcp_client_link>(e, std::move(o));
}

std::shared_ptr<link> make_link(asio::any_io_executor e, const link_options& o) {
    return std::visit(
        [&](const auto& v) -> std::shared_ptr<link> {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, serial_options>)
                return make_serial_link(e, v);
            else if constexpr (std::is_same_v<T, udp_options>)
                return make_udp_link(e, v);
            else if constexpr (std::is_same_v<T, tcp_server_options>)
                return make_tcp_server_link(e, v);
            else
                return make_tcp_client_link(e, v);
        },
        o);
}

}  // namespace vx::transport
