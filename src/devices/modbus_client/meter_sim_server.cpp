#include "vxbridge/devices/modbus_client/meter_sim_server.hpp"

#include <unistd.h>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <sstream>

#include "vxbridge/modbus/mbap.hpp"
#include "vxbridge/modbus/rtu_frame.hpp"
#include "vxbridge/transport/link.hpp"

namespace vx::devices::modbus_client {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using asio::ip::tcp;

// One Modbus TCP client of the simulated meter (an EM24 Ethernet takes several).
class meter_sim_server::tcp_conn : public std::enable_shared_from_this<tcp_conn> {
  public:
    tcp_conn(tcp::socket s, std::weak_ptr<meter_sim_server> server)
        : socket_(std::move(s)), server_(std::move(server)) {}
    void start() { read(); }
    void close() {
        boost::system::error_code ec;
        socket_.close(ec);
    }

  private:
    void read() {
        socket_.async_read_some(asio::buffer(buf_), [self = shared_from_this()](
                                                        boost::system::error_code ec,
                                                        std::size_t n) {
            auto server = self->server_.lock();
            if (ec || !server || server->stopped_) return;
            self->rx_.insert(self->rx_.end(), self->buf_.begin(), self->buf_.begin() + n);
            for (;;) {
                const auto r = modbus::mbap::split(self->rx_);
                if (r.status == modbus::mbap::split_status::need_more) break;
                if (r.status != modbus::mbap::split_status::frame) return self->close();
                const std::vector<std::uint8_t> adu(self->rx_.begin(), self->rx_.begin() + r.size);
                self->rx_.erase(self->rx_.begin(), self->rx_.begin() + r.size);
                ++server->requests_;
                if (server->faults_.silent || !server->serves(modbus::mbap::unit_of(adu))) continue;
                const auto pdu = server->answer(modbus::mbap::pdu_of(adu));
                auto out = std::make_shared<std::vector<std::uint8_t>>();
                modbus::mbap::append_response(*out, std::span(adu).first(7), pdu);
                auto t = std::make_shared<asio::steady_timer>(
                    self->socket_.get_executor(), server->options_.latency + server->faults_.delay);
                t->async_wait([self, out, t](boost::system::error_code e) {
                    if (e) return;
                    boost::system::error_code wec;
                    asio::write(self->socket_, asio::buffer(*out), wec);
                });
            }
            self->read();
        });
    }
    tcp::socket socket_;
    std::weak_ptr<meter_sim_server> server_;
    std::array<std::uint8_t, 512> buf_{};
    std::vector<std::uint8_t> rx_;
};

meter_sim_server::meter_sim_server(asio::any_io_executor exec, meter_sim_server_options options)
    : exec_(exec), options_(std::move(options)), meter_(options_.map), tick_(exec), reopen_(exec) {}

meter_sim_server::~meter_sim_server() {
    close_pty();
}

bool meter_sim_server::serves(int unit) const {
    return std::find(options_.units.begin(), options_.units.end(), unit) != options_.units.end();
}

std::string meter_sim_server::where() const {
    if (acceptor_) {
        const auto ep = acceptor_->local_endpoint();
        return ep.address().to_string() + ":" + std::to_string(ep.port());
    }
    return options_.pty;
}

void meter_sim_server::start() {
    if (!options_.pty.empty()) {
        open_pty();
    } else {
        const auto colon = options_.tcp_listen.rfind(':');
        if (colon == std::string::npos)
            throw std::runtime_error("meter: --meter-tcp needs HOST:PORT");
        const tcp::endpoint ep(
            asio::ip::make_address(options_.tcp_listen.substr(0, colon)),
            static_cast<unsigned short>(std::stoi(options_.tcp_listen.substr(colon + 1))));
        acceptor_ = std::make_unique<tcp::acceptor>(exec_);
        acceptor_->open(ep.protocol());
        acceptor_->set_option(tcp::acceptor::reuse_address(true));
        acceptor_->bind(ep);
        acceptor_->listen();
        accept();
    }
    arm_tick();
}

void meter_sim_server::stop() {
    stopped_ = true;
    tick_.cancel();
    reopen_.cancel();
    close_pty();
    if (acceptor_) {
        boost::system::error_code ec;
        acceptor_->close(ec);
    }
    for (auto& w : conns_)
        if (auto c = w.lock()) c->close();
}

// The meter measures the plant every 100 ms.
void meter_sim_server::arm_tick() {
    if (options_.plant) meter_.update(options_.plant(), clock::now());
    tick_.expires_after(100ms);
    tick_.async_wait([this, w = weak_from_this()](boost::system::error_code ec) {
        if (!ec && !w.expired() && !stopped_) arm_tick();
    });
}

void meter_sim_server::accept() {
    acceptor_->async_accept(
        [this, w = weak_from_this()](boost::system::error_code ec, tcp::socket s) {
            auto self = w.lock();
            if (!self || stopped_) return;
            if (!ec) {
                s.set_option(tcp::no_delay(true));
                auto c = std::make_shared<tcp_conn>(std::move(s), self);
                conns_.push_back(c);
                c->start();
            }
            accept();
        });
}

void meter_sim_server::open_pty() {
    const int master = transport::open_pty_link(options_.pty, slave_fd_);
    master_ = std::make_unique<asio::posix::stream_descriptor>(exec_, master);
    rx_.clear();
    read_pty();
}

void meter_sim_server::close_pty() {
    if (master_) {
        boost::system::error_code ignored;
        master_->close(ignored);
        master_.reset();
    }
    if (slave_fd_ >= 0) ::close(slave_fd_);
    slave_fd_ = -1;
    if (!options_.pty.empty()) {
        std::error_code ec;
        std::filesystem::remove(options_.pty, ec);
    }
}

void meter_sim_server::read_pty() {
    if (!master_) return;
    master_->async_read_some(asio::buffer(buf_), [this, w = weak_from_this()](
                                                     boost::system::error_code ec, std::size_t n) {
        if (w.expired() || stopped_ || !master_) return;
        if (ec) {
            if (ec == asio::error::operation_aborted) return;
            auto t = std::make_shared<asio::steady_timer>(exec_, 50ms);
            t->async_wait([this, w, t](boost::system::error_code e) {
                if (!e && !w.expired() && !stopped_) read_pty();
            });
            return;
        }
        rx_.insert(rx_.end(), buf_.begin(), buf_.begin() + n);
        serve_rtu();
        read_pty();
    });
}

// Requests are cut by their length (a pty delivers a frame at once); a frame with a bad CRC or
// an unknown function code throws away what was read, as the silence after it would on a line.
void meter_sim_server::serve_rtu() {
    for (;;) {
        const auto len = modbus::rtu::request_length(rx_);
        if (!len) {
            rx_.clear();
            return;
        }
        if (*len == 0 || rx_.size() < *len) return;
        const std::vector<std::uint8_t> frame(rx_.begin(), rx_.begin() + *len);
        rx_.erase(rx_.begin(), rx_.begin() + *len);
        if (!modbus::rtu::crc_ok(frame)) {
            rx_.clear();
            return;
        }
        ++requests_;
        const int unit = frame[0];
        if (faults_.silent || !serves(unit)) continue;  // another slave's, or a broadcast
        std::vector<std::uint8_t> reply{frame[0]};
        const auto pdu = answer(std::span(frame).subspan(1, frame.size() - 3));
        reply.insert(reply.end(), pdu.begin(), pdu.end());
        modbus::rtu::append_crc(reply);
        faults_.damage(reply, rng_);
        if (garbage_) {
            std::uniform_int_distribution<int> byte(0, 255);
            std::vector<std::uint8_t> noise(3);
            for (auto& b : noise) b = static_cast<std::uint8_t>(byte(rng_));
            reply.insert(reply.begin(), noise.begin(), noise.end());
        }
        // The request's and the reply's wire time at the line's baud rate (10 bits a byte).
        const auto byte_time = std::chrono::microseconds(10'000'000LL / options_.baud);
        auto at = std::max(clock::now(), busy_until_);
        if (options_.byte_timing) at += static_cast<long>(frame.size()) * byte_time;
        at += options_.latency;
        if (options_.byte_timing) at += static_cast<long>(reply.size()) * byte_time;
        busy_until_ = at;
        send_later(std::move(reply), at + faults_.delay);
    }
}

std::vector<std::uint8_t> meter_sim_server::answer(std::span<const std::uint8_t> pdu) {
    return meter_.handle(pdu);
}

void meter_sim_server::send_later(std::vector<std::uint8_t> bytes, clock::time_point at) {
    auto t = std::make_shared<asio::steady_timer>(exec_, at);
    auto data = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
    t->async_wait([this, w = weak_from_this(), t, data](boost::system::error_code ec) {
        if (ec || w.expired() || stopped_ || !master_) return;
        boost::system::error_code wec;
        asio::write(*master_, asio::buffer(*data), wec);
    });
}

std::string meter_sim_server::control(const std::string& line) {
    std::istringstream in(line);
    std::string cmd, arg;
    in >> cmd >> arg;
    try {
        if (faults_.control(cmd, arg)) {
        } else if (cmd == "garbage") {
            garbage_ = arg == "on";
        } else if (cmd == "freeze") {
            meter_.set_frozen(arg == "on");
        } else if (cmd == "vanish") {
            if (options_.pty.empty()) return "error: vanish needs an RTU meter on a pty";
            close_pty();
            reopen_.expires_after(std::chrono::milliseconds(std::stol(arg)));
            reopen_.async_wait([this, w = weak_from_this()](boost::system::error_code ec) {
                if (!ec && !w.expired() && !stopped_) open_pty();
            });
        } else if (cmd != "status") {
            return "error: unknown meter command '" + cmd + "'";
        }
    } catch (const std::exception&) {
        return "error: bad argument '" + arg + "'";
    }
    std::ostringstream out;
    out << "ok meter_w=" << meter_.power() << " meter_l1_w=" << meter_.phase_power(0)
        << " meter_l2_w=" << meter_.phase_power(1) << " meter_l3_w=" << meter_.phase_power(2)
        << " meter_requests=" << requests_;
    return out.str();
}

}  // namespace vx::devices::modbus_client
