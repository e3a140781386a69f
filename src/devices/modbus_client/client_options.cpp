// `driver: modbus`: the keys of its devices: entry and their reader. The device map is loaded
// and checked here, so `vxbridge check` reports its problems with file:line like any map.
#include "vxbridge/devices/modbus_client/client_options.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "vxbridge/core/paths.hpp"
#include "vxbridge/core/suggest.hpp"
#include "vxbridge/devices/option_readers.hpp"
#include "vxbridge/register_map/map_loader.hpp"

namespace vx::devices::modbus_client {

namespace fs = std::filesystem;

const std::vector<std::string>& shipped_models() {
    static const std::vector<std::string> m{"em24", "em24_ethernet", "et340", "em540", "sdm630"};
    return m;
}

const std::vector<std::string>& meter_points() {
    static const std::vector<std::string> p = [] {
        std::vector<std::string> v{"power",     "energy_import", "energy_export",
                                   "frequency", "power_factor",  "serial"};
        for (const char* base : {"power_l", "voltage_l", "current_l", "energy_import_l",
                                 "energy_export_l", "power_factor_l"})
            for (int i = 1; i <= 3; ++i) v.push_back(base + std::to_string(i));
        return v;
    }();
    return p;
}

namespace {

std::uint64_t digest_of(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return std::hash<std::string>{}(s.str());
}

// A device map must describe only what to read: every entry a point (its name), no sources,
// nothing writable, registers only (FC3 `holding`/`registers` or FC4 `input`).
void check_device_map(const register_map::register_map& m, core::diagnostics& d) {
    if (m.driver != "modbus")
        d.add(m.file, 1, 1,
              "device map '" + m.name + "' must say 'driver: modbus' (it says '" + m.driver + "')");
    if (!m.coils.entries.empty() || !m.discrete_inputs.entries.empty())
        d.add(m.file, 1, 1, "a device map reads registers only (no coils or discrete_inputs)");
    for (const auto& [kind, e] : m.all_entries()) {
        if (e->source)
            d.add(m.file, e->pos.line, e->pos.col,
                  "'" + e->name + "': a device map entry is itself the point; drop 'source'");
        if (e->access == register_map::access_mode::rw)
            d.add(m.file, e->pos.line, e->pos.col,
                  "'" + e->name + "': the bridge only reads a polled device (access: r)");
        if (e->width() > m.max_read)
            d.add(m.file, e->pos.line, e->pos.col,
                  "'" + e->name + "' is wider than max_read (" + std::to_string(m.max_read) + ")");
    }
}

client_options read(register_map::yaml_fields& f) {
    client_options o;
    // Meters leave the factory at 9600 8N1 (Carlo Gavazzi, Eastron).
    transport::serial_options serial;
    serial.baud = 9600;
    serial.parity = 'N';
    if (auto t = read_transport(f, "transport", serial)) {
        if (std::holds_alternative<transport::serial_options>(*t) ||
            std::holds_alternative<transport::tcp_client_options>(*t))
            o.transport = *t;
        else
            f.error(f.get("transport"),
                    "a Modbus device is reached over {serial: {port, baud, parity}} (RTU) or "
                    "{tcp_client: {connect: HOST:PORT}} (TCP)");
        if (const auto* s = std::get_if<transport::serial_options>(&o.transport); s && s->crlf)
            f.error(f.get("transport"), "'crlf' is for the Xcom-232i, not for Modbus RTU");
    }
    if (auto u = f.integer("unit_id", 1, 247)) o.unit_id = static_cast<int>(*u);
    if (auto m = f.text("model", true)) {
        o.model = *m;
        const bool is_path = m->find('/') != std::string::npos || m->ends_with(".yaml");
        if (is_path) {
            const fs::path p(*m);
            o.map_file = (p.is_absolute() ? p : fs::path(f.file()).parent_path() / p)
                             .lexically_normal()
                             .string();
        } else {
            o.map_file = core::find_data_file("maps/meters/" + *m + ".yaml");
        }
        std::error_code ec;
        if (o.map_file.empty() || !fs::is_regular_file(o.map_file, ec)) {
            std::string list;
            for (const auto& k : shipped_models()) list += (list.empty() ? "" : ", ") + k;
            f.error(f.get("model"), is_path ? "device map '" + o.map_file + "' not found"
                                            : "unknown model '" + *m + "' (shipped: " + list +
                                                  "; or a path to a device map)" +
                                                  core::did_you_mean(*m, shipped_models()));
        } else {
            core::diagnostics md;
            o.map = register_map::load_map(o.map_file, md);
            if (o.map) check_device_map(*o.map, md);
            if (!md.empty()) {
                f.diag().merge(md);
                o.map = nullptr;
            }
            o.map_digest = digest_of(o.map_file);
        }
    }
    if (auto s = read_seconds(f, "interval", 0, 3600)) o.interval = *s;
    if (auto s = read_seconds(f, "timeout", 0.02, 30)) o.timeout = *s;
    if (auto n = f.integer("retries", 0, 10)) o.retries = static_cast<int>(*n);
    if (auto s = read_seconds(f, "offline_after", 1, 3600)) o.offline_after = *s;
    return o;
}

}  // namespace

driver_info options() {
    return options_entry<client_options>(
        "modbus",
        {"transport", "unit_id", "model", "interval", "timeout", "retries", "offline_after"}, read);
}

}  // namespace vx::devices::modbus_client
