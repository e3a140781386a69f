// Composition root: turns a loaded site config into devices, units, a request handler and servers.
// The only place that names concrete drivers (DESIGN.md section 4).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vxbridge/config/site_config.hpp"
#include "vxbridge/core/diagnostics.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/devices/point_store.hpp"
#include "vxbridge/modbus/request_handler.hpp"
#include "vxbridge/modbus/rtu_server.hpp"
#include "vxbridge/modbus/tcp_server.hpp"
#include "vxbridge/modbus/write_journal.hpp"

namespace vx::web {
class web_server;
}

namespace vx::app {

class gateway {
  public:
    // Creates the devices and binds every map entry to its point; throws core::load_error with
    // every binding problem (unknown source kinds, bad options) as file:line:col.
    gateway(boost::asio::io_context& io, const config::site_config& site);
    ~gateway();

    void start();  // devices first, then the servers; throws std::runtime_error on bind failures
    void stop();
    // Applies a checked config (SIGHUP); returns what happened, for the log.
    std::string reload(const config::site_config& next);

    std::optional<boost::asio::ip::tcp::endpoint> tcp_endpoint() const;
    const modbus::server_stats& stats() const { return stats_; }
    const modbus::unit_router& router() const { return *router_; }
    // The commissioning view's address once it listens (web.listen).
    std::optional<boost::asio::ip::tcp::endpoint> web_endpoint() const;
    // What the view says of the config: "ok ..." or why the last reload was refused.
    void note_check(std::string text) { check_ = std::move(text); }

  private:
    struct device_entry {
        config::device_config config;
        std::shared_ptr<devices::device> device;
    };
    std::shared_ptr<modbus::unit_router> bind_all(const config::site_config& site,
                                                  core::diagnostics& diag);
    void make_servers(const config::modbus_config& m);
    void make_web(const config::site_config& site);
    std::vector<std::string> endpoints() const;
    // The device's ESS loop (VE.Bus only); a problem with its ess.grid_meter, or "".
    std::string make_ess(const std::string& name, const device_entry& d);

    boost::asio::io_context& io_;
    config::site_config site_;
    modbus::server_stats stats_;
    std::map<std::string, device_entry> devices_;
    std::shared_ptr<devices::point_store> store_ = std::make_shared<devices::point_store>();
    std::shared_ptr<class status_device> status_;
    // The ESS loop of each VE.Bus device (by device name): {ess: ...} sources of its units.
    std::map<std::string, std::shared_ptr<class ess_service>> ess_;
    std::shared_ptr<modbus::unit_router> router_;
    std::shared_ptr<const modbus::request_handler> handler_;
    std::unique_ptr<modbus::tcp_server> tcp_;
    std::vector<std::shared_ptr<modbus::rtu_server>> rtu_;  // one per serial port
    std::unique_ptr<modbus::tcp_server> rtu_tcp_;           // RTU over TCP
    std::shared_ptr<modbus::write_journal> journal_ = std::make_shared<modbus::write_journal>();
    std::unique_ptr<web::web_server> web_;
    std::string check_;
};

}  // namespace vx::app
