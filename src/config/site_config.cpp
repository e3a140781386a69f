#include "vxbridge/config/site_config.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "vxbridge/core/suggest.hpp"
#include "vxbridge/register_map/map_loader.hpp"
#include "vxbridge/register_map/yaml_fields.hpp"

namespace vx::config {

namespace {

using register_map::yaml_fields;
namespace fs = std::filesystem;

std::optional<double> seconds(yaml_fields& f, const char* key, double lo, double hi) {
    auto v = f.number(key);
    if (v && (*v < lo || *v > hi)) {
        f.error(f.get(key), std::string("'") + key + "' must be between " + std::to_string(lo) +
                                " and " + std::to_string(hi) + " seconds");
        return std::nullopt;
    }
    return v;
}

// Syntax check only; the server parses the networks with Asio.
bool valid_cidr(const std::string& text) {
    const auto slash = text.find('/');
    const auto host = text.substr(0, slash);
    unsigned char buf[16];
    const bool v4 = inet_pton(AF_INET, host.c_str(), buf) == 1;
    if (!v4 && inet_pton(AF_INET6, host.c_str(), buf) != 1) return false;
    if (slash == std::string::npos) return true;
    const auto bits = text.substr(slash + 1);
    if (bits.empty() || bits.find_first_not_of("0123456789") != std::string::npos) return false;
    return std::stoi(bits) <= (v4 ? 32 : 128);
}

void read_rtu_port(const YAML::Node& n, const std::string& file, core::diagnostics& d,
                   modbus_config& m) {
    yaml_fields f(n, file, d, {"port", "baud", "parity", "stop_bits", "unit_id", "units"},
                  "modbus.rtu");
    if (!f.ok()) return;
    rtu_config r;
    if (auto p = f.text("port", true)) r.port = *p;
    if (auto b = f.integer("baud", 300, 4'000'000)) r.baud = static_cast<int>(*b);
    if (auto p = f.choice("parity", {"none", "even", "odd"}))
        r.parity = static_cast<char>(std::toupper((*p)[0]));
    if (auto s = f.integer("stop_bits", 1, 2)) r.stop_bits = static_cast<int>(*s);
    if (auto u = f.integer("unit_id", 1, 247)) r.units = {static_cast<int>(*u)};
    if (f.has("unit_id") && f.has("units"))
        f.error(f.get("units"), "give 'units' or 'unit_id', not both");
    if (const auto u = f.get("units"); u.IsDefined()) {
        if (!u.IsSequence() || u.size() == 0) {
            f.error(u, "'units' must list unit ids, e.g. [11, 21] (leave it out for all)");
        } else {
            for (const auto& id : u) {
                int v = 0;
                if (!id.IsScalar() || !YAML::convert<int>::decode(id, v) || v < 1 || v > 247)
                    f.error(id, "a unit id is 1..247 (0 is broadcast on a bus)");
                else
                    r.units.push_back(v);
            }
        }
    }
    for (const auto& other : m.rtu)
        if (other.port == r.port) f.error(f.get("port"), "port " + r.port + " is listed twice");
    m.rtu.push_back(r);
}

void read_rtu(const YAML::Node& n, const std::string& file, core::diagnostics& d,
              modbus_config& m) {
    if (n.IsSequence()) {
        for (const auto& item : n) read_rtu_port(item, file, d, m);
        return;
    }
    read_rtu_port(n, file, d, m);
}

void read_modbus(const YAML::Node& n, const std::string& file, core::diagnostics& d,
                 modbus_config& m) {
    yaml_fields f(n, file, d,
                  {"listen", "max_connections", "idle_timeout", "frame_timeout", "write_timeout",
                   "allow", "read_only", "rtu", "rtu_over_tcp", "unit0_alias"},
                  "modbus");
    if (!f.ok()) return;
    if (f.has("listen") && f.get("listen").IsNull())
        m.listen.reset();
    else if (auto l = f.text("listen"))
        m.listen = *l;
    if (auto c = f.integer("max_connections", 1, 4096))
        m.max_connections = static_cast<std::size_t>(*c);
    if (auto s = seconds(f, "idle_timeout", 1, 86400)) m.idle_timeout = *s;
    if (auto s = seconds(f, "frame_timeout", 0.05, 60)) m.frame_timeout = *s;
    if (auto s = seconds(f, "write_timeout", 0.05, 120)) m.write_timeout = *s;
    if (auto r = f.boolean("read_only")) m.read_only = *r;
    if (const auto a = f.get("allow"); a.IsDefined()) {
        if (!a.IsSequence())
            f.error(a, "'allow' must be a list of CIDRs, e.g. [127.0.0.1/32, 10.0.0.0/8]");
        else
            for (const auto& c : a) {
                if (!valid_cidr(c.Scalar()))
                    f.error(c, "'" + c.Scalar() + "' is not an address or CIDR (e.g. 10.0.0.0/8)");
                m.allow.push_back(c.Scalar());
            }
    }
    if (f.has("rtu")) read_rtu(f.get("rtu"), file, d, m);
    if (f.has("rtu_over_tcp")) {
        yaml_fields t(f.get("rtu_over_tcp"), file, d, {"listen"}, "modbus.rtu_over_tcp");
        if (auto l = t.text("listen", true)) {
            if (l->rfind(':') == std::string::npos)
                t.error(t.get("listen"), "'listen' needs HOST:PORT");
            m.rtu_over_tcp = *l;
        }
    }
    if (const auto a = f.get("unit0_alias"); a.IsDefined()) {
        if (a.IsScalar() && (a.Scalar() == "auto" || a.Scalar() == "off"))
            m.unit0_alias = a.Scalar() == "auto" ? -1 : 0;
        else if (auto u = f.integer("unit0_alias", 1, 247))
            m.unit0_alias = static_cast<int>(*u);
    }
    if (!m.listen && m.rtu.empty() && !m.rtu_over_tcp)
        f.error("modbus needs 'listen', 'rtu' or 'rtu_over_tcp'");
}

void read_devices(const YAML::Node& n, const std::string& file, core::diagnostics& d,
                  const devices::driver_registry& drivers, site_config& site) {
    if (!n.IsMap()) return register_map::report(d, file, n, "'devices' must map names to devices");
    for (const auto& kv : n) {
        device_config dev;
        dev.name = register_map::key_text(kv.first);
        if (!kv.first.IsScalar()) {
            register_map::report(d, file, kv.first, "a device name must be a plain word");
            continue;
        }
        dev.pos = {kv.second.Mark().line + 1, kv.second.Mark().column + 1};
        const auto driver =
            kv.second.IsMap() && kv.second["driver"] ? kv.second["driver"].Scalar() : "";
        const std::string what = "device '" + dev.name + "'";
        if (const auto* info = drivers.find(driver)) {
            std::vector<std::string_view> keys{"driver"};
            keys.insert(keys.end(), info->keys.begin(), info->keys.end());
            yaml_fields f(kv.second, file, d, std::span<const std::string_view>(keys), what);
            if (f.ok()) dev.options = info->read_options(f);
        } else {
            const auto known = drivers.names();
            std::string list;
            for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
            register_map::report(
                d, file, kv.second.IsMap() && kv.second["driver"] ? kv.second["driver"] : kv.second,
                what + ": unknown driver '" + driver + "' (known: " + list + ")" +
                    core::did_you_mean(driver, known));
        }
        dev.driver = driver;
        site.devices.emplace(dev.name, std::move(dev));
    }
}

void read_units(const YAML::Node& n, const std::string& file, core::diagnostics& d,
                site_config& site) {
    if (!n.IsSequence()) return register_map::report(d, file, n, "'units' must be a list");
    std::set<int> seen;
    const auto base = fs::path(file).parent_path();
    auto map_path = [&](const std::string& m) {
        const auto p = fs::path(m);
        return (p.is_absolute() ? p : base / p).lexically_normal().string();
    };
    // The maps are parsed in parallel, one task per distinct file, on as many threads as there
    // are cores: yaml-cpp scans ~0.4 us per byte and the Studer maps are 0.1-0.25 MB each, which
    // made parsing most of the start-up time (bench/resources.py). Each task reports into its
    // own diagnostics; they are merged below in config order, so the output does not depend on
    // which task finished first.
    struct loaded {
        std::shared_ptr<const register_map::register_map> map;
        core::diagnostics diag;
        bool reported = false;
    };
    std::vector<std::string> files;
    for (const auto& item : n)
        if (item.IsMap() && item["map"] && item["map"].IsScalar())
            if (const auto path = map_path(item["map"].Scalar());
                std::find(files.begin(), files.end(), path) == files.end())
                files.push_back(path);
    std::vector<loaded> results(files.size());
    // Largest file first, so the last task to start is a small one and the threads finish
    // together (the Xtender map alone is a third of all the bytes).
    std::vector<std::pair<std::uintmax_t, std::size_t>> order;
    for (std::size_t i = 0; i < files.size(); ++i) {
        std::error_code ec;
        const auto size = fs::file_size(files[i], ec);
        order.emplace_back(ec ? 0 : size, i);
    }
    std::sort(order.begin(), order.end(), std::greater<>());
    std::atomic<std::size_t> next{0};
    const auto work = [&] {
        for (std::size_t k = next++; k < order.size(); k = next++) {
            const auto i = order[k].second;
            try {
                results[i].map = register_map::load_map(files[i], results[i].diag);
            } catch (const std::exception& e) {  // a thread must not let anything escape
                results[i].diag.add(files[i], 0, 0, e.what());
            }
        }
    };
    {
        const auto threads =
            std::min<std::size_t>(files.size(), std::max(1u, std::thread::hardware_concurrency()));
        std::vector<std::jthread> pool;
        for (std::size_t k = 1; k < threads; ++k) pool.emplace_back(work);
        work();
    }  // joined
    std::map<std::string, loaded> maps;
    for (std::size_t i = 0; i < files.size(); ++i) maps.emplace(files[i], std::move(results[i]));
    for (const auto& item : n) {
        yaml_fields f(item, file, d, {"unit_id", "device", "address", "map"}, "a unit");
        if (!f.ok()) continue;
        unit_config u;
        u.pos = {item.Mark().line + 1, item.Mark().column + 1};
        if (auto id = f.integer("unit_id", 0, 255, true)) {
            u.unit_id = static_cast<int>(*id);
            if (!seen.insert(u.unit_id).second)
                f.error(f.get("unit_id"),
                        "unit id " + std::to_string(u.unit_id) + " is used twice");
        }
        if (auto a = f.integer("address", 0, 65535)) u.address = static_cast<int>(*a);
        const auto dev = f.text("device", true);
        if (dev) {
            u.device = *dev;
            if (!site.devices.contains(u.device))
                f.error(f.get("device"), "no device named '" + u.device + "' in 'devices'");
        }
        if (auto m = f.text("map", true)) {
            u.map_file = map_path(*m);
            auto& l = maps[u.map_file];
            u.map = l.map;
            if (!std::exchange(l.reported, true)) d.merge(l.diag);
            // Only "not found" here: a file that exists but cannot be read was reported by the
            // loader ("cannot open file"); the error_code overload never throws (EACCES).
            std::error_code ec;
            if (!u.map && fs::status(u.map_file, ec).type() == fs::file_type::not_found)
                f.error(f.get("map"), "map file '" + u.map_file + "' not found");
        }
        if (u.map && dev && site.devices.contains(u.device)) {
            const auto& driver = site.devices.at(u.device).driver;
            if (u.map->driver != driver)
                f.error(f.get("map"), "map '" + u.map->name + "' is for driver '" + u.map->driver +
                                          "' but device '" + u.device + "' uses '" + driver + "'");
        }
        site.units.push_back(std::move(u));
    }
}

void read_site(const YAML::Node& root, const std::string& file, core::diagnostics& diag,
               const devices::driver_registry& drivers, site_config& site) {
    yaml_fields f(root, file, diag, {"modbus", "devices", "units", "log", "status", "state", "web"},
                  "a site config");
    if (!f.ok()) return;
    if (f.has("modbus")) read_modbus(f.get("modbus"), file, diag, site.modbus);
    if (f.has("devices")) read_devices(f.get("devices"), file, diag, drivers, site);
    if (f.has("units"))
        read_units(f.get("units"), file, diag, site);
    else
        f.missing("units");
    if (f.has("status")) {
        yaml_fields s(f.get("status"), file, diag, {"enabled", "unit_id"}, "status");
        if (auto e = s.boolean("enabled")) site.status.enabled = *e;
        if (auto u = s.integer("unit_id", 1, 255)) site.status.unit_id = static_cast<int>(*u);
        for (const auto& u : site.units)
            if (site.status.enabled && u.unit_id == site.status.unit_id)
                s.error("unit id " + std::to_string(u.unit_id) +
                        " is the status unit's; set status: {unit_id: N} or {enabled: false}");
    }
    if (f.has("state")) {
        yaml_fields s(f.get("state"), file, diag, {"dir"}, "state");
        if (auto d = s.text("dir", true)) {
            if (d->empty())
                s.error(s.get("dir"), "'dir' must name a directory");
            else
                site.state_dir =
                    fs::path(*d).is_absolute()
                        ? *d
                        : (fs::path(file).parent_path() / *d).lexically_normal().string();
        }
    }
    if (f.has("web")) {
        yaml_fields w(f.get("web"), file, diag, {"listen", "max_connections"}, "web");
        if (auto l = w.text("listen", true)) {
            if (l->rfind(':') == std::string::npos)
                w.error(w.get("listen"), "'listen' needs HOST:PORT, e.g. 127.0.0.1:8080");
            site.web.listen = *l;
        }
        if (auto c = w.integer("max_connections", 1, 1024))
            site.web.max_connections = static_cast<std::size_t>(*c);
    }
    if (f.has("log")) {
        yaml_fields l(f.get("log"), file, diag, {"level"}, "log");
        if (auto lv = l.choice("level", {"trace", "debug", "info", "warn", "error"}))
            site.log.level = *lv;
    }
}

}  // namespace

site_config load_site_config(const std::string& file, core::diagnostics& diag,
                             const devices::driver_registry& drivers) {
    site_config site;
    site.file = file;
    const auto before = diag.problems().size();
    const auto root = register_map::load_yaml_file(file, diag);
    if (diag.problems().size() != before) return site;
    try {
        read_site(root, file, diag, drivers, site);
    } catch (const YAML::Exception& e) {  // found by fuzz_loaders: never let yaml-cpp throw out
        diag.add(file, e.mark.line + 1, e.mark.column + 1, "YAML: " + e.msg);
    }
    return site;
}

}  // namespace vx::config
