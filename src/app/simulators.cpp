#include "vxbridge/app/simulators.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/streambuf.hpp>
#include <iostream>
#include <istream>

#include "vxbridge/devices/vebus/sim_server.hpp"

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

int run_vebus_sim(const vebus_sim_args& a) {
    asio::io_context io(1);
    vebus::sim_server_options o;
    o.link = a.link;
    o.latency = std::chrono::milliseconds(a.latency_ms);
    o.byte_timing = a.byte_timing;
    o.multi.ess_timeout = std::chrono::milliseconds(static_cast<long>(a.ess_timeout_s * 1000));
    o.multi.load_w = a.load_w;
    o.multi.initial_soc = a.soc;
    o.multi.mains = a.mains;
    auto sim = std::make_shared<vebus::sim_server>(io.get_executor(), o);
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
    spdlog::get("app")->info("vebus simulator (MultiPlus-II 48/3000, ESS at RAM 130) on {}",
                             a.link);
    std::cout << "vebus simulator on " << a.link << std::endl;
    io.run();
    return 0;
}

}  // namespace vx::app

#include <filesystem>

namespace vx::app {

demo_simulators::demo_simulators(asio::io_context& io, config::site_config& site) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "vxbridge-demo-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("cannot create a temporary directory");
    dir_ = tmpl;
    for (auto& [name, dev] : site.devices) {
        if (auto* o = std::get_if<devices::vebus_options>(&dev.options)) {
            vebus::sim_server_options so;
            so.link = dir_ + "/" + name + "-mk3";
            auto sim = std::make_shared<vebus::sim_server>(io.get_executor(), so);
            sim->start();
            o->port = so.link;
            stops_.push_back([sim] { sim->stop(); });
            sims_.push_back(sim);
            lines_.push_back("device " + name + ": simulated MultiPlus-II 48/3000 (MK3) on " + so.link);
        }
    }
}

demo_simulators::~demo_simulators() {
    for (auto& s : stops_) s();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
}

}  // namespace vx::app
