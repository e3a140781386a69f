#include "vxbridge/devices/xcom/xcom_sim_server.hpp"

#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/write.hpp>
#include <filesystem>
#include <sstream>

namespace vx::devices::xcom {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// The gateway's side of a pseudo-terminal, as a link.
class pty_link final : public transport::link, public std::enable_shared_from_this<pty_link> {
  public:
    pty_link(asio::any_io_executor ex, std::string path)
        : fd_(ex), retry_(ex), path_(std::move(path)) {}
    ~pty_link() override { close(); }
    void start() override {
        const int master = transport::open_pty_link(path_, slave_);
        fd_.assign(master);
        report(true, "pty " + path_);
        read();
    }
    void stop() override { close(); }
    bool connected() const override { return fd_.is_open(); }
    std::string describe() const override { return "pty " + path_; }

  protected:
    void write_async(const std::vector<std::uint8_t>& m, std::function<void(bool)> done) override {
        asio::async_write(fd_, asio::buffer(m),
                          [w = weak_from_this(), done = std::move(done)](
                              boost::system::error_code ec, std::size_t) {
                              if (w.lock()) done(!ec);
                          });
    }

  private:
    void close() {
        boost::system::error_code ec;
        fd_.close(ec);
        retry_.cancel();
        if (slave_ >= 0) ::close(slave_);
        slave_ = -1;
        std::filesystem::remove(path_, ec_);
    }
    void read() {
        fd_.async_read_some(
            asio::buffer(rx_), [w = weak_from_this()](boost::system::error_code ec, std::size_t n) {
                auto s = w.lock();
                if (!s || ec == asio::error::operation_aborted || !s->fd_.is_open()) return;
                if (ec) {  // EIO while no client has the pty open: look again shortly
                    s->retry_.expires_after(50ms);
                    s->retry_.async_wait([w](boost::system::error_code e) {
                        if (auto t = w.lock(); t && !e) t->read();
                    });
                    return;
                }
                if (s->on_data) s->on_data(std::span(s->rx_.data(), n));
                s->read();
            });
    }
    asio::posix::stream_descriptor fd_;
    asio::steady_timer retry_;
    std::string path_;
    int slave_ = -1;
    std::error_code ec_;
    std::array<std::uint8_t, 2048> rx_{};
};

}  // namespace

xcom_sim_server::xcom_sim_server(asio::any_io_executor exec, xcom_sim_server_options o)
    : exec_(exec), o_(std::move(o)), sim_(o_.sim), reopen_(exec) {}

xcom_sim_server::~xcom_sim_server() {
    if (link_) link_->stop();
}

std::string xcom_sim_server::where() const {
    switch (o_.how) {
        case xcom_sim_server_options::mode::pty:
            return (o_.lan ? "pty (Xcom-LAN 115200 8N1, CR LF) " : "pty (38400 8E1) ") + o_.address;
        case xcom_sim_server_options::mode::udp:
            return "udp " + o_.address +
                   (o_.udp_dest.empty() ? " (replies to the sender)" : " -> " + o_.udp_dest);
        case xcom_sim_server_options::mode::tcp_connect:
            return "tcp, dialling " + o_.address;
        case xcom_sim_server_options::mode::tcp_listen:
            return "tcp, listening on " + o_.address;
    }
    return "?";
}

void xcom_sim_server::open_link() {
    using m = xcom_sim_server_options::mode;
    switch (o_.how) {
        case m::pty:
            link_ = std::make_shared<pty_link>(exec_, o_.address);
            break;
        case m::udp:
            link_ = transport::make_udp_link(exec_, {o_.udp_dest, o_.address});
            break;
        case m::tcp_connect:
            link_ = transport::make_tcp_client_link(exec_, {o_.address});
            break;
        case m::tcp_listen:
            link_ = transport::make_tcp_server_link(exec_, {o_.address});
            break;
    }
    link_->on_data = [this](std::span<const std::uint8_t> b) { on_data(b); };
    parser_.reset();
    link_->start();
}

void xcom_sim_server::start() {
    open_link();
}

void xcom_sim_server::stop() {
    stopped_ = true;
    reopen_.cancel();
    if (link_) link_->stop();
}

// Requests are answered one after the other, each after the latency (longer in the periodic
// slow window, as with the datalogger); a frame with a bad checksum gets no answer (the parser
// drops it).
void xcom_sim_server::on_data(std::span<const std::uint8_t> bytes) {
    parser_.feed(bytes);
    while (auto q = parser_.next()) {
        const auto now = clock::now();
        auto r = sim_.handle(*q, now);
        if (!r || faults_.silent) continue;
        auto out = encode(*r);
        faults_.damage(out, rng_);
        if (o_.lan) out.insert(out.end(), {0x0D, 0x0A});
        auto latency = o_.latency;

        // The last 5 s of every period are slow (the datalogger's minute, spec 3.7).
        if (o_.slow_every.count() > 5 &&
            std::chrono::duration_cast<std::chrono::seconds>(now - start_) % o_.slow_every >=
                o_.slow_every - 5s)
            latency += o_.slow_extra;

        busy_until_ = std::max(now, busy_until_) + latency;
        // A late reply (the `delay` fault) is late on its own: it does not hold up the requests
        // behind it, as a reply held in a MOXA's buffer would not.
        send_later(std::move(out), busy_until_ + faults_.delay);
    }
}

void xcom_sim_server::send_later(std::vector<std::uint8_t> bytes, clock::time_point at) {
    auto t = std::make_shared<asio::steady_timer>(exec_, at);
    auto data = std::make_shared<std::vector<std::uint8_t>>(std::move(bytes));
    t->async_wait([w = weak_from_this(), t, data](boost::system::error_code ec) {
        auto s = w.lock();
        if (ec || !s || s->stopped_ || !s->link_) return;
        s->link_->send(*data);
    });
}

std::string xcom_sim_server::control(const std::string& line) {
    std::istringstream in(line);
    std::string cmd, arg;
    in >> cmd >> arg;
    try {
        if (faults_.control(cmd, arg)) {
            // silent, drop, corrupt, delay: the same in both simulators
        } else if (cmd == "latency")
            o_.latency = std::chrono::milliseconds(std::stol(arg));
        else if (cmd == "busy")
            sim_.set_busy(arg == "on");
        else if (cmd == "vanish") {  // the pty disappears / the MOXA drops its connection
            link_->stop();
            reopen_.expires_after(std::chrono::milliseconds(std::stol(arg)));
            reopen_.async_wait([w = weak_from_this()](boost::system::error_code ec) {
                if (auto s = w.lock(); s && !ec && !s->stopped_) s->open_link();
            });
        } else if (cmd == "param") {  // param ADDRESS NR: its flash/RAM values and flash writes
            const auto nr = std::stoul(in.str().substr(in.str().rfind(' ') + 1));
            const auto* p = sim_.param(static_cast<std::uint32_t>(std::stoul(arg)),
                                       static_cast<std::uint32_t>(nr));
            std::ostringstream o;
            o << "ok flash=" << (p ? p->flash : 0) << " ram=" << (p ? p->ram : 0)
              << " flash_writes=" << (p ? p->flash_writes : 0) << " applied=";
            if (p)
                for (std::size_t i = 0; i < p->applied.size(); ++i)
                    o << (i ? "," : "") << p->applied[i];

            return o.str();
        } else if (cmd == "load") {  // the plant: AC-out load, irradiance, grid, SoC
            sim_.plant().set_load(std::stod(arg));
        } else if (cmd == "pv") {
            sim_.plant().set_pv(std::stod(arg));
        } else if (cmd == "acin") {
            if (arg != "on" && arg != "off") return "error: acin on|off";
            sim_.plant().set_acin(arg == "on");
        } else if (cmd == "soc") {
            sim_.plant().set_soc(std::stod(arg));
        } else if (cmd != "status")
            return "error: unknown command '" + cmd + "'";
    } catch (const std::exception&) {
        return "error: bad argument '" + arg + "'";
    }
    sim_.advance(std::chrono::steady_clock::now());
    return "ok requests=" + std::to_string(sim_.requests()) + " " + sim_.plant().describe() +
           " messages=" + std::to_string(sim_.messages().size());
}

}  // namespace vx::devices::xcom
