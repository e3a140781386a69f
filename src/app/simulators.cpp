#include "vxbridge/app/simulators.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <iostream>
#include <istream>
#include <sstream>
#include <type_traits>

#include "vxbridge/core/paths.hpp"
#include "vxbridge/devices/modbus_client/client_options.hpp"
#include "vxbridge/devices/modbus_client/meter_sim_server.hpp"
#include "vxbridge/devices/vebus/sim_server.hpp"
#include "vxbridge/devices/vebus/vebus_options.hpp"
#include "vxbridge/devices/xcom/xcom_options.hpp"
#include "vxbridge/devices/xcom/xcom_sim_server.hpp"
#include "vxbridge/register_map/map_loader.hpp"
#include "vxbridge/transport/link.hpp"

namespace vx::app {

namespace asio = boost::asio;

namespace {

// Reads control lines from stdin when it is a pipe; anything else (a tty, /dev/null) is ignored.
template <class Handler>
class control_reader : public std::enable_shared_from_this<control_reader<Handler>> {
  public:
    control_reader(asio::io_context& io, Handler h) : in_(io), handler_(std::move(h)) {}
    void start() {
        boost::system::error_code ec;
        in_.assign(::dup(0), ec);
        if (!ec) read();
    }
    void stop() {
        boost::system::error_code ignored;
        in_.close(ignored);
    }

  private:
    void read() {
        asio::async_read_until(
            in_, buf_, '\n',
            [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                if (ec) return;
                std::istream is(&self->buf_);
                std::string line;
                std::getline(is, line);
                std::cout << self->handler_(line) << std::endl;
                self->read();
            });
    }
    asio::posix::stream_descriptor in_;
    asio::streambuf buf_;
    Handler handler_;
};

}  // namespace

// Runs a simulator object until SIGINT/SIGTERM with control lines from stdin.
template <class Sim, class Banner>
int serve_until_signal(asio::io_context& io, const std::shared_ptr<Sim>& sim,
                       const Banner& banner_of) {
    try {
        sim->start();
    } catch (const std::exception& e) {
        spdlog::get("app")->error("{}", e.what());
        return 1;
    }
    auto control = [sim](const std::string& line) { return sim->control(line); };
    auto reader = std::make_shared<control_reader<decltype(control)>>(io, control);
    reader->start();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
        sim->stop();
        io.stop();
    });
    std::string banner;
    if constexpr (std::is_invocable_v<Banner>)
        banner = banner_of();
    else
        banner = banner_of;
    spdlog::get("app")->info("{}", banner);
    std::cout << banner << std::endl;
    io.run();
    return 0;
}

devices::xcom::xcom_sim_server_options xcom_options_of(const xcom_sim_args& a) {
    using m = devices::xcom::xcom_sim_server_options::mode;
    devices::xcom::xcom_sim_server_options o;
    if (!a.pty.empty())
        o.how = m::pty, o.address = a.pty;
    else if (!a.udp.empty())
        o.how = m::udp, o.address = a.udp;
    else if (!a.tcp_connect.empty())
        o.how = m::tcp_connect, o.address = a.tcp_connect;
    else
        o.how = m::tcp_listen, o.address = a.tcp_listen;
    o.udp_dest = a.udp_dest;
    o.lan = a.lan;
    o.latency = std::chrono::milliseconds(a.latency_ms);
    o.slow_every = std::chrono::seconds(a.slow_every_s);
    o.sim.devices.assign(a.devices.begin(), a.devices.end());
    o.sim.multicast_reads = a.multicast_reads;
    o.sim.multi_info = a.multi_info;
    o.sim.plant.speed = a.speed;
    o.sim.plant.load_w = a.load_w;
    o.sim.plant.pv_percent = a.pv_percent;
    o.sim.plant.vt_peak_w = a.vt_peak_w;
    o.sim.plant.vs_peak_w = a.vs_peak_w;
    o.sim.plant.initial_soc = a.soc;
    o.sim.plant.acin = a.acin;
    o.sim.plant.day_profile = a.profile == "day";
    o.sim.plant.start_hour = a.start_hour;
    return o;
}

int run_xcom_sim(const xcom_sim_args& a) {
    asio::io_context io(1);
    auto sim =
        std::make_shared<devices::xcom::xcom_sim_server>(io.get_executor(), xcom_options_of(a));
    return serve_until_signal(io, sim, "xcom simulator on " + sim->where());
}

// A shipped meter model's device map, or the map at a path.
std::shared_ptr<const register_map::register_map> meter_map(const std::string& model) {
    const bool is_path = model.find('/') != std::string::npos || model.ends_with(".yaml");
    const auto file = is_path ? model : core::find_data_file("maps/meters/" + model + ".yaml");
    if (file.empty()) throw std::runtime_error("unknown meter model '" + model + "'");
    return register_map::load_map_or_throw(file);
}

namespace {

// The VE.Bus site with its grid meter: one plant, two wires. Control lines starting with
// "meter" go to the meter ("meter l2 W" / "meter l3 W" set the other phases' loads).
class vebus_site : public std::enable_shared_from_this<vebus_site> {
  public:
    vebus_site(asio::io_context& io, devices::vebus::sim_server_options o, const vebus_sim_args& a)
        : multi_(std::make_shared<devices::vebus::sim_server>(io.get_executor(), std::move(o))),
          l2_(a.meter_l2_w),
          l3_(a.meter_l3_w) {
        if (a.meter.empty()) return;
        devices::modbus_client::meter_sim_server_options m;
        m.map = meter_map(a.meter);
        m.units = a.meter_units.empty() ? std::vector<int>{1} : a.meter_units;
        m.pty = a.meter_pty;
        m.tcp_listen = a.meter_tcp;
        if (m.pty.empty() && m.tcp_listen.empty())
            throw std::runtime_error("--meter needs --meter-pty LINK or --meter-tcp HOST:PORT");
        m.baud = a.meter_baud;
        m.latency = std::chrono::milliseconds(a.meter_latency_ms);
        // Each phase: the Multi's AC input on it (+ the grid-side load on L1) and the extra loads.
        m.plant = [this] {
            const auto& mu = multi_->multi();
            return std::array<double, 3>{mu.phase_grid_power(0), mu.phase_grid_power(1) + l2_,
                                         mu.phase_grid_power(2) + l3_};
        };
        meter_ = std::make_shared<devices::modbus_client::meter_sim_server>(io.get_executor(),
                                                                            std::move(m));
    }
    void start() {
        multi_->start();
        if (meter_) meter_->start();
    }
    void stop() {
        multi_->stop();
        if (meter_) meter_->stop();
    }
    std::string control(const std::string& line) {
        if (meter_ && line.starts_with("meter")) {
            std::istringstream in(line.substr(5));
            std::string cmd, arg;
            in >> cmd >> arg;
            try {
                if (cmd == "l2") l2_ = std::stod(arg);
                if (cmd == "l3") l3_ = std::stod(arg);
            } catch (const std::exception&) {
                return "error: bad argument '" + arg + "'";
            }
            if (cmd == "l2" || cmd == "l3") cmd = "status";
            return meter_->control(cmd + " " + arg);
        }
        auto out = multi_->control(line);
        if (meter_ && out.starts_with("ok")) out += " " + meter_->control("status").substr(3);
        return out;
    }
    std::string where() const {
        return multi_->link() + (meter_ ? ", grid meter on " + meter_->where() : "");
    }

  private:
    std::shared_ptr<devices::vebus::sim_server> multi_;
    std::shared_ptr<devices::modbus_client::meter_sim_server> meter_;
    double l2_, l3_;
};

}  // namespace

int run_vebus_sim(const vebus_sim_args& a) {
    asio::io_context io(1);
    devices::vebus::sim_server_options o;
    o.link = a.link;
    o.latency = std::chrono::milliseconds(a.latency_ms);
    o.byte_timing = a.byte_timing;
    o.multi.ess_timeout = std::chrono::milliseconds(static_cast<long>(a.ess_timeout_s * 1000));
    o.multi.load_w = a.load_w;
    o.multi.initial_soc = a.soc;
    o.multi.mains = a.mains;
    using mo = devices::vebus::multi_sim_options;
    const auto topo = devices::vebus::parse_topology(a.topology).value_or(std::pair{1, 1});
    o.multi.phases = topo.first;
    o.multi.units_per_phase = topo.second;
    o.multi.address_scheme =
        a.address_scheme == "stride3" ? mo::scheme::stride3 : mo::scheme::contiguous;
    o.multi.slave_ess = a.slave_ess == "apply"    ? mo::slave_write::apply
                        : a.slave_ess == "refuse" ? mo::slave_write::refuse
                                                  : mo::slave_write::ignore;
    o.multi.garbage_beyond_phases = a.garbage_beyond_phases;
    o.multi.answer_address_read = a.answer_address_read;
    o.multi.config_needs_s = a.config_needs_s;
    o.multi.lowercase_xyz = a.lowercase_xyz;
    o.strict_f = a.strict_f;
    o.day_profile = a.profile == "day";
    o.speed = a.speed;
    std::shared_ptr<vebus_site> sim;
    try {
        sim = std::make_shared<vebus_site>(io, o, a);
    } catch (const std::exception& e) {
        spdlog::get("app")->error("{}", e.what());
        return 1;
    }
    // The banner names where the meter listens only after start (a free TCP port).
    return serve_until_signal(io, sim, [sim] { return "vebus simulator on " + sim->where(); });
}

}  // namespace vx::app

#include <boost/asio/ip/udp.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace vx::app {

namespace {
// A loopback UDP port nobody uses now (the demo binds it a moment later).
unsigned short free_udp_port() {
    asio::io_context io;
    asio::ip::udp::socket s(io, asio::ip::udp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    return s.local_endpoint().port();
}
}  // namespace

namespace {

// A null-modem cable between two pseudo-terminals (what socat does for the tests): the bridge's
// RTU port opens one end, a Modbus RTU master (mbpoll -m rtu) the other.
class pty_pair : public std::enable_shared_from_this<pty_pair> {
  public:
    pty_pair(asio::io_context& io, const std::string& a, const std::string& b)
        : a_(io, transport::open_pty_link(a, slave_a_)),
          b_(io, transport::open_pty_link(b, slave_b_)),
          paths_{a, b} {}
    ~pty_pair() {
        ::close(slave_a_);
        ::close(slave_b_);
        std::error_code ec;
        for (const auto& p : paths_) std::filesystem::remove(p, ec);
    }
    void start() {
        relay(a_, b_, buf_a_);
        relay(b_, a_, buf_b_);
    }
    void stop() {
        boost::system::error_code ec;
        a_.close(ec);
        b_.close(ec);
    }

  private:
    void relay(asio::posix::stream_descriptor& from, asio::posix::stream_descriptor& to,
               std::array<std::uint8_t, 512>& buf) {
        from.async_read_some(asio::buffer(buf), [this, w = weak_from_this(), &from, &to, &buf](
                                                    boost::system::error_code ec, std::size_t n) {
            if (w.expired()) return;
            if (ec == asio::error::operation_aborted || !from.is_open()) return;
            if (!ec) {
                boost::system::error_code wec;
                asio::write(to, asio::buffer(buf.data(), n), wec);
                return relay(from, to, buf);
            }
            // EIO while nobody has the other end open: look again shortly.
            auto t = std::make_shared<asio::steady_timer>(from.get_executor(),
                                                          std::chrono::milliseconds(50));
            t->async_wait([this, w, t, &from, &to, &buf](boost::system::error_code e) {
                if (!e && !w.expired()) relay(from, to, buf);
            });
        });
    }
    int slave_a_ = -1, slave_b_ = -1;
    asio::posix::stream_descriptor a_, b_;
    std::array<std::uint8_t, 512> buf_a_{}, buf_b_{};
    std::array<std::string, 2> paths_;
};

}  // namespace

demo_simulators::demo_simulators(asio::io_context& io, config::site_config& site) {
    std::error_code ec;
    auto tmp = std::filesystem::temp_directory_path(ec);  // throws on a bad TMPDIR otherwise
    if (ec) tmp = "/tmp";
    std::string tmpl = (tmp / "vxbridge-demo-XXXXXX").string();
    if (!mkdtemp(tmpl.data()))
        throw std::runtime_error("cannot create a temporary directory in " + tmp.string() + ": " +
                                 std::strerror(errno));
    dir_ = tmpl;
    site.state_dir = dir_ + "/state";  // the demo's settings live and die with the demo
    std::shared_ptr<devices::vebus::sim_server> plant;
    std::vector<std::pair<std::string, devices::modbus_client::client_options*>> meters;
    for (auto& [name, dev] : site.devices) {
        if (auto* o = devices::options_as<devices::vebus::vebus_options>(dev.options)) {
            devices::vebus::sim_server_options so;
            so.link = dir_ + "/" + name + "-mk3";
            // A household's day in 24 minutes, from 6 h: load and PV move while the bridge's
            // ESS loop holds the grid at 2700 (the demo config runs ess mode optimized).
            so.day_profile = true;
            so.speed = 60;
            auto sim = std::make_shared<devices::vebus::sim_server>(io.get_executor(), so);
            sim->start();
            o->port = so.link;
            if (!plant) plant = sim;
            stops_.push_back([sim] { sim->stop(); });
            controls_[name] = [sim](const std::string& l) { return sim->control(l); };
            sims_.push_back(sim);
            lines_.push_back("device " + name + ": simulated MultiPlus-II 48/3000 (MK3) on " +
                             so.link + ", a household's day (load, PV) at 60x");
        }
        if (auto* o = devices::options_as<devices::modbus_client::client_options>(dev.options)) {
            // The demo's grid meter measures the simulated Multi's site (started above: the
            // meters are set up in a second pass).
            meters.emplace_back(name, o);
            continue;
        }
        if (auto* o = devices::options_as<devices::xcom::xcom_options>(dev.options)) {
            // The demo's Studer system: an Xcom-LAN in UDP mode on loopback.
            auto* udp = std::get_if<transport::udp_options>(&o->transport);
            if (!udp)
                throw std::runtime_error("demo: device " + name + " must use a udp transport");
            udp->remote = "127.0.0.1:" + std::to_string(free_udp_port());
            udp->local = "127.0.0.1:" + std::to_string(free_udp_port());
            xcom_sim_args xa;
            // A household's day, an hour a minute, from 6 in the morning.
            xa.profile = "day";
            xa.speed = 60;
            xa.start_hour = 6;
            xa.udp = udp->remote;
            xa.udp_dest = udp->local;
            auto sim = std::make_shared<devices::xcom::xcom_sim_server>(io.get_executor(),
                                                                        xcom_options_of(xa));
            sim->start();
            stops_.push_back([sim] { sim->stop(); });
            controls_[name] = [sim](const std::string& l) { return sim->control(l); };
            sims_.push_back(sim);
            lines_.push_back("device " + name +
                             ": simulated Xcom-LAN (UDP) with XT 101, VT 301, VS 701, BSP 601 (a "
                             "day in 24 min) on " +
                             udp->remote);
        }
    }
    start_meters(io, plant, meters);
    // An RTU port named `simulated` (the demo's Xcom-485i-style bus): a pty pair, the bridge
    // on one end, the user's RTU master on the other.
    for (auto& port : site.modbus.rtu) {
        if (port.port != "simulated") continue;
        const auto ours = dir_ + "/rtu-bridge", theirs = dir_ + "/rtu";
        auto pair = std::make_shared<pty_pair>(io, ours, theirs);
        pair->start();
        port.port = ours;
        stops_.push_back([pair] { pair->stop(); });
        sims_.push_back(pair);
        lines_.push_back("Modbus RTU (Xcom-485i style, " + std::to_string(port.baud) + " 8" +
                         std::string(1, port.parity) + "1, every unit) on " + theirs +
                         ": mbpoll -m rtu -b " + std::to_string(port.baud) + " -P " +
                         (port.parity == 'E'   ? "even"
                          : port.parity == 'O' ? "odd"
                                               : "none") +
                         " -a 11 -t 3:float -B -0 -r 0 -1 " + theirs);
    }
    auto control = [this](const std::string& l) { return this->control(l); };
    auto reader = std::make_shared<control_reader<decltype(control)>>(io, control);
    reader->start();
    reader_ = reader;
    stops_.push_back([reader] { reader->stop(); });
}

std::string demo_simulators::control(const std::string& line) {
    const auto space = line.find(' ');
    const auto it = controls_.find(line.substr(0, space));
    if (it == controls_.end() || space == std::string::npos) {
        std::string names;
        for (const auto& [n, c] : controls_) names += (names.empty() ? "" : ", ") + n;
        return "error: a control line is NAME LINE (NAME: " + names + "), e.g. 'multi status'";
    }
    return it->second(line.substr(space + 1));
}

void demo_simulators::start_meters(
    asio::io_context& io, std::shared_ptr<devices::vebus::sim_server> plant,
    std::vector<std::pair<std::string, devices::modbus_client::client_options*>>& meters) {
    for (auto& [name, o] : meters) {
        if (!o->map) continue;
        devices::modbus_client::meter_sim_server_options m;
        m.map = o->map;
        m.units = {o->unit_id};
        if (auto* serial = std::get_if<transport::serial_options>(&o->transport)) {
            m.pty = dir_ + "/" + name + "-rs485";
            m.baud = serial->baud;
            serial->port = m.pty;
        } else {
            m.tcp_listen = "127.0.0.1:0";  // a free port, named below
        }
        if (plant)
            m.plant = [plant] {
                return std::array<double, 3>{plant->multi().grid_power(), 0.0, 0.0};
            };
        auto sim = std::make_shared<devices::modbus_client::meter_sim_server>(io.get_executor(),
                                                                              std::move(m));
        sim->start();
        if (auto* tcp = std::get_if<transport::tcp_client_options>(&o->transport))
            tcp->connect = sim->where();
        stops_.push_back([sim] { sim->stop(); });
        controls_[name] = [sim](const std::string& l) { return sim->control(l); };
        sims_.push_back(sim);
        lines_.push_back("device " + name + ": simulated grid meter (" + o->model + ") on " +
                         sim->where() + ", measuring the Multi's site");
    }
}

demo_simulators::~demo_simulators() {
    for (auto& s : stops_) s();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace vx::app
