#include "vxbridge/app/gateway.hpp"

#include <spdlog/spdlog.h>

#include <map>

#include "vxbridge/app/drivers.hpp"
#include "vxbridge/app/ess_service.hpp"
#include "vxbridge/app/status_device.hpp"
#include "vxbridge/core/paths.hpp"
#include "vxbridge/core/suggest.hpp"
#include "vxbridge/devices/modbus_client/client_options.hpp"
#include "vxbridge/devices/vebus/vebus_options.hpp"
#include "vxbridge/modbus/unit_binder.hpp"
#include "vxbridge/register_map/map_loader.hpp"
#include "vxbridge/web/web_server.hpp"

namespace vx::app {

namespace asio = boost::asio;
namespace rm = register_map;

namespace {

std::shared_ptr<devices::device> make_device(const config::device_config& c,
                                             asio::any_io_executor exec) {
    const auto* info = drivers().find(c.driver);
    if (!info || !c.options) return nullptr;
    return info->make(c.name, std::move(exec), *c.options);
}

std::chrono::milliseconds millis(double s) {
    return std::chrono::milliseconds(static_cast<long long>(s * 1000.0));
}

// modbus.unit0_alias: auto = the unit serving the GX system map (a GX answers unit 0 as 100).
void resolve_unit0(const config::site_config& site, modbus::unit_router& router,
                   core::diagnostics& diag) {
    const int alias = site.modbus.unit0_alias;
    if (alias > 0) {
        if (!router.find(static_cast<std::uint8_t>(alias)))
            diag.add(site.file, 0, 0,
                     "modbus.unit0_alias: no unit " + std::to_string(alias) + " in 'units'");
        else
            router.alias_unit0(static_cast<std::uint8_t>(alias));
        return;
    }
    if (alias < 0)
        for (const auto* u : router.all())
            if (u->image->map().name == "victron-gx-system") return router.alias_unit0(u->id);
}

}  // namespace

gateway::gateway(asio::io_context& io, const config::site_config& site) : io_(io), site_(site) {
    core::diagnostics diag;
    status_ = std::make_shared<status_device>(io.get_executor(), stats_);
    for (const auto& [name, c] : site.devices) {
        auto d = make_device(c, io.get_executor());
        if (!d)
            diag.add(site.file, c.pos.line, c.pos.col, "device '" + name + "' has no driver");
        else
            devices_[name] = {c, std::move(d)};
    }
    // Modbus client devices sharing a serial port share one line: one set of serial settings.
    std::map<std::string, std::pair<std::string, transport::serial_options>> ports;
    for (const auto& [name, d] : devices_) {
        const auto* o =
            devices::options_as<devices::modbus_client::client_options>(d.config.options);
        const auto* serial = o ? std::get_if<transport::serial_options>(&o->transport) : nullptr;
        if (!serial) continue;
        const auto [it, fresh] = ports.try_emplace(serial->port, name, *serial);
        if (!fresh && !(it->second.second == *serial))
            diag.add(site.file, d.config.pos.line, d.config.pos.col,
                     "device '" + name + "' shares " + serial->port + " with device '" +
                         it->second.first + "' but not its serial settings (baud, parity, " +
                         "stop bits): one line, one setting");
    }
    for (const auto& [name, d] : devices_)
        if (auto problem = make_ess(name, d); !problem.empty())
            diag.add(site.file, d.config.pos.line, d.config.pos.col, problem);
    router_ = bind_all(site, diag);
    if (!diag.empty()) throw core::load_error(std::move(diag));
    make_servers(site.modbus);
    check_ = "ok: " + std::to_string(site.units.size()) + " units, " +
             std::to_string(site.devices.size()) + " devices";
    make_web(site);
}

// The commissioning view (web.listen): reads the gateway's current units, links, writes and
// ESS loops through `this`, so a reload that keeps it shows the new units at once.
void gateway::make_web(const config::site_config& site) {
    web_.reset();
    if (!site.web.listen) return;
    web::web_options o;
    o.listen = *site.web.listen;
    o.allow = site.modbus.allow;
    o.max_connections = site.web.max_connections;
    web::sources s;
    s.site_file = site.file;
    s.check = [this] { return check_; };
    s.endpoints = [this] { return endpoints(); };
    s.router = [this] { return std::shared_ptr<const modbus::unit_router>(router_); };
    s.devices = [this] {
        std::vector<web::device_info> out;
        for (const auto& [name, d] : devices_)
            out.push_back({name, d.config.driver, d.device->status()});
        return out;
    };
    s.ess = [this] {
        std::vector<web::ess_source> out;
        for (const auto& [name, e] : ess_)
            out.push_back({name, [e = std::weak_ptr<ess_service>(e)] {
                               const auto loop = e.lock();
                               return loop ? loop->figures() : web::figures{};
                           }});
        return out;
    };
    s.stats = &stats_;
    s.writes = journal_;
    web_ = std::make_unique<web::web_server>(io_, std::move(o), std::move(s));
}

std::vector<std::string> gateway::endpoints() const {
    std::vector<std::string> out;
    const auto where = [](const modbus::tcp_server& t) -> std::string {
        try {
            const auto ep = t.local_endpoint();
            return ep.address().to_string() + ":" + std::to_string(ep.port());
        } catch (const std::exception&) {
            return "(not listening)";
        }
    };
    if (tcp_) out.push_back("TCP " + where(*tcp_));
    if (rtu_tcp_) out.push_back("RTU over TCP " + where(*rtu_tcp_));
    for (const auto& p : site_.modbus.rtu)
        out.push_back("RTU " + p.port + " " + std::to_string(p.baud) + " 8" +
                      std::string(1, p.parity) + std::to_string(p.stop_bits));
    return out;
}

std::optional<asio::ip::tcp::endpoint> gateway::web_endpoint() const {
    if (!web_) return std::nullopt;
    return web_->local_endpoint();
}

// A VE.Bus system gets its ESS loop (mode external by default: it then only serves the
// settings registers and regulates nothing).
std::string gateway::make_ess(const std::string& name, const device_entry& d) {
    const auto* o = devices::options_as<devices::vebus::vebus_options>(d.config.options);
    if (!o) return {};
    // ess.grid_meter: a Modbus client device of this site (a meter map's points).
    std::shared_ptr<devices::device> meter;
    std::string problem;
    if (!o->ess.grid_meter.empty()) {
        const auto m = devices_.find(o->ess.grid_meter);
        if (m == devices_.end()) {
            std::vector<std::string> names;
            for (const auto& [n, e] : devices_) names.push_back(n);
            problem = "device '" + name + "': ess.grid_meter names no device '" +
                      o->ess.grid_meter + "'" + core::did_you_mean(o->ess.grid_meter, names);
        } else if (!devices::options_as<devices::modbus_client::client_options>(
                       m->second.config.options)) {
            problem = "device '" + name + "': ess.grid_meter '" + o->ess.grid_meter +
                      "' must be a grid meter (driver: modbus), not driver " +
                      m->second.config.driver;
        } else {
            meter = m->second.device;
        }
    }
    control::ess_config c;
    c.has_meter = meter != nullptr;
    c.mode = o->ess.mode;
    c.min_soc = o->ess.min_soc;
    c.grid_setpoint_w = o->ess.grid_setpoint_w;
    c.max_charge_w = o->ess.max_charge_w;
    c.max_feed_w = o->ess.max_feed_w;
    c.override_timeout = o->ess.override_timeout;
    c.law = o->ess.integral ? control::control_law::gx_integral : control::control_law::gx;
    const auto file =
        site_.state_dir.empty() ? std::string{} : site_.state_dir + "/" + name + ".ess.json";
    ess_[name] =
        std::make_shared<ess_service>(io_.get_executor(), c, store_, d.device, file, meter);
    return problem;
}

// Every unit bound to its device's points, and the status unit.
std::shared_ptr<modbus::unit_router> gateway::bind_all(const config::site_config& site,
                                                       core::diagnostics& diag) {
    auto router = std::make_shared<modbus::unit_router>();
    modbus::unit_binder binder(store_);
    binder.route("bridge", status_);  // {bridge: ...} in any map: the bridge's own points
    for (const auto& uc : site.units) {
        const auto it = devices_.find(uc.device);
        if (it == devices_.end() || !uc.map) continue;
        // {ess: ...}: the ESS loop of the unit's own VE.Bus system.
        if (const auto e = ess_.find(uc.device); e != ess_.end())
            binder.route("ess", e->second);
        else
            binder.unroute("ess");
        router->add(binder.bind({static_cast<std::uint8_t>(uc.unit_id), uc.device, uc.address,
                                 uc.map, it->second.device},
                                diag));
    }
    std::vector<std::shared_ptr<devices::device>> all;
    for (const auto& [name, d] : devices_) all.push_back(d.device);
    status_->watch(all);
    if (site.status.enabled) {
        const auto file = core::find_data_file("maps/bridge/status.yaml");
        if (file.empty()) {
            diag.add(site.file, 0, 0,
                     "maps/bridge/status.yaml not found (or set status: {enabled: false})");
        } else {
            // The status unit shows the first VE.Bus system's loop; without one, unavailable.
            binder.route("ess", ess_.empty() ? nullptr : ess_.begin()->second);
            if (auto map = register_map::load_map(file, diag))
                router->add(binder.bind(
                    {static_cast<std::uint8_t>(site.status.unit_id), "bridge", 0, map, status_},
                    diag));
        }
    }
    resolve_unit0(site, *router, diag);
    return router;
}

void gateway::make_servers(const config::modbus_config& m) {
    modbus::handler_options ho;
    ho.read_only = m.read_only;
    ho.journal = journal_;
    handler_ = std::make_shared<modbus::request_handler>(router_, ho);
    tcp_.reset();
    rtu_tcp_.reset();
    rtu_.clear();
    modbus::tcp_options t;
    t.max_connections = m.max_connections;
    t.idle_timeout = millis(m.idle_timeout);
    t.frame_timeout = millis(m.frame_timeout);
    t.write_timeout = millis(m.write_timeout);
    t.allow = m.allow;
    if (m.listen) {
        t.listen = *m.listen;
        tcp_ = std::make_unique<modbus::tcp_server>(io_, handler_, t, stats_);
    }
    if (m.rtu_over_tcp) {
        t.listen = *m.rtu_over_tcp;
        t.frames = modbus::tcp_options::framing::rtu;
        rtu_tcp_ = std::make_unique<modbus::tcp_server>(io_, handler_, t, stats_);
    }
    for (const auto& port : m.rtu) {
        modbus::rtu_options r;
        r.port = port.port;
        r.baud = port.baud;
        r.parity = port.parity;
        r.stop_bits = port.stop_bits;
        for (const int u : port.units) r.units.push_back(static_cast<std::uint8_t>(u));
        r.write_timeout = millis(m.write_timeout);
        rtu_.push_back(
            std::make_shared<modbus::rtu_server>(io_.get_executor(), handler_, r, stats_));
    }
}

// SIGHUP: devices whose config did not change keep their object and link (their subscriptions
// are bound anew to the new units); the Modbus server keeps its clients unless its own section
// changed. `next` has been checked (vxbridge check) before it gets here.
std::string gateway::reload(const config::site_config& next) {
    std::map<std::string, device_entry> devices;
    std::vector<std::shared_ptr<devices::device>> started, stopped;
    for (const auto& [name, c] : next.devices) {
        const auto it = devices_.find(name);
        if (it != devices_.end() && it->second.config == c) {
            // Kept: asked anew for what the new units subscribe; its values stay in the store.
            it->second.device->clear_subscriptions();
            store_->forget_feeds(name);
            devices[name] = it->second;
        } else {
            store_->drop_device(name);
            devices[name] = {c, make_device(c, io_.get_executor())};
            started.push_back(devices[name].device);
        }
    }
    for (const auto& [name, d] : devices_)
        if (!devices.contains(name) || devices[name].device != d.device)
            stopped.push_back(d.device);
    // ESS loops: kept with their device (and its settings); a replaced device gets a new one,
    // which reads the settings the old one saved.
    std::map<std::string, std::shared_ptr<ess_service>> ess;
    std::vector<std::shared_ptr<ess_service>> ess_started;
    for (const auto& [name, d] : devices) {
        // Kept with its Multi and its meter (a replaced meter device means a new loop).
        const auto* o = devices::options_as<devices::vebus::vebus_options>(d.config.options);
        const auto meter = o && devices.contains(o->ess.grid_meter)
                               ? devices.at(o->ess.grid_meter).device
                               : nullptr;
        if (const auto e = ess_.find(name); e != ess_.end() && devices_.contains(name) &&
                                            devices_[name].device == d.device &&
                                            e->second->meter() == meter) {
            e->second->clear_subscriptions();
            store_->forget_feeds(e->second->name());
            ess[name] = e->second;
        }
    }
    for (const auto& [name, e] : ess_)
        if (!ess.contains(name)) e->stop();  // saves its settings first
    ess_ = std::move(ess);
    std::swap(devices_, devices);  // make_ess looks the meter up in the new devices
    for (const auto& [name, d] : devices_)
        if (!ess_.contains(name)) {
            if (const auto problem = make_ess(name, d); !problem.empty())
                spdlog::get("app")->error("reload: {}", problem);
            if (ess_.contains(name)) ess_started.push_back(ess_[name]);
        }
    status_->clear_subscriptions();
    store_->forget_feeds(status_->name());
    core::diagnostics diag;
    router_ = bind_all(next, diag);
    for (const auto& p : diag.problems()) spdlog::get("app")->error("reload: {}", p.to_string());
    for (const auto& d : stopped) d->stop();
    for (const auto& d : started) d->start();
    for (const auto& e : ess_started) e->start();
    const bool same_server = next.modbus == site_.modbus;
    if (same_server) {
        modbus::handler_options ho;
        ho.read_only = next.modbus.read_only;
        ho.journal = journal_;
        handler_ = std::make_shared<modbus::request_handler>(router_, ho);
        if (tcp_) tcp_->set_handler(handler_);
        if (rtu_tcp_) rtu_tcp_->set_handler(handler_);
        for (auto& r : rtu_) r->set_handler(handler_);
    } else {
        for (auto& r : rtu_) r->stop();
        if (rtu_tcp_) rtu_tcp_->stop();
        if (tcp_) tcp_->stop();
        make_servers(next.modbus);
        if (tcp_) tcp_->start();
        if (rtu_tcp_) rtu_tcp_->start();
        for (auto& r : rtu_) r->start();
    }
    // The view: kept with its open pages unless its section or the allow-list changed.
    const bool same_web = next.web == site_.web && next.modbus.allow == site_.modbus.allow;
    if (!same_web) {
        if (web_) web_->stop();
        make_web(next);
        if (web_) web_->start();
    }
    site_ = next;
    check_ = "ok: reloaded, " + std::to_string(next.units.size()) + " units, " +
             std::to_string(next.devices.size()) + " devices";
    return std::to_string(next.units.size()) + " units; devices kept " +
           std::to_string(devices_.size() - started.size()) + ", started " +
           std::to_string(started.size()) + ", stopped " + std::to_string(stopped.size()) +
           "; Modbus server " + (same_server ? "kept with its connections" : "restarted");
}

gateway::~gateway() {
    stop();
}

void gateway::start() {
    for (const auto& [name, d] : devices_) d.device->start();
    for (const auto& [name, e] : ess_) e->start();
    status_->start();
    if (tcp_) tcp_->start();
    if (rtu_tcp_) rtu_tcp_->start();
    for (auto& r : rtu_) r->start();
    if (web_) web_->start();
}

void gateway::stop() {
    if (web_) web_->stop();
    for (auto& r : rtu_) r->stop();
    if (rtu_tcp_) rtu_tcp_->stop();
    if (tcp_) tcp_->stop();
    for (const auto& [name, e] : ess_) e->stop();
    for (const auto& [name, d] : devices_) d.device->stop();
    status_->stop();
}

std::optional<asio::ip::tcp::endpoint> gateway::tcp_endpoint() const {
    if (!tcp_) return std::nullopt;
    return tcp_->local_endpoint();
}

}  // namespace vx::app
