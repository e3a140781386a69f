// A site config (config/*.yaml, DESIGN.md section 2) as plain option structs, strictly validated.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vxbridge/core/diagnostics.hpp"
#include "vxbridge/devices/driver_registry.hpp"
#include "vxbridge/register_map/register_map.hpp"

namespace vx::config {

// One RTU port. It answers every unit of the site (as an Xcom-485i answers every device on
// its bus) unless `units` lists some; `unit_id: N` is `units: [N]`.
struct rtu_config {
    std::string port;
    int baud = 19200;
    char parity = 'E';
    int stop_bits = 1;
    std::vector<int> units;  // empty: every unit of the site
    bool operator==(const rtu_config&) const = default;
};

struct modbus_config {
    std::optional<std::string> listen = "127.0.0.1:1502";  // nullopt: no TCP server (rtu only)
    std::size_t max_connections = 256;
    double idle_timeout = 60;  // seconds
    double frame_timeout = 2;  // seconds
    double write_timeout = 5;  // seconds
    std::vector<std::string> allow;
    bool read_only = false;
    std::vector<rtu_config> rtu;              // `rtu: {...}` or `rtu: [{...}, {...}]`
    std::optional<std::string> rtu_over_tcp;  // HOST:PORT: RTU frames on TCP connections
    // Modbus TCP requests for unit id 0 are served by this unit, as a GX serves its system
    // service on 0 and 100: -1 = auto (the unit with the GX system map, if the site has one),
    // 0 = off (unit 0 is unknown: 0x0B), N = unit N. On an RTU bus 0 is always broadcast.
    int unit0_alias = -1;
    bool operator==(const modbus_config&) const = default;
};

struct device_config {
    std::string name;
    std::string driver;
    register_map::source_pos pos;
    std::shared_ptr<devices::driver_options> options;  // as the driver's reader made them
    // Same device for a reload: same driver and options (where it is written does not matter).
    bool operator==(const device_config& o) const {
        return name == o.name && driver == o.driver && options && o.options &&
               options->equals(*o.options);
    }
};

struct unit_config {
    int unit_id = 0;
    std::string device;
    int address = 0;  // device address behind a shared link, 0 = none
    std::string map_file;
    std::shared_ptr<const register_map::register_map> map;
    register_map::source_pos pos;
};

// The bridge's own status unit (maps/bridge/status.yaml).
struct status_config {
    bool enabled = true;
    int unit_id = 247;
};

// The commissioning view (off unless `web: {listen: ...}`); modbus.allow applies to it too.
struct web_config {
    std::optional<std::string> listen;  // HOST:PORT
    std::size_t max_connections = 64;   // HTTP + WebSocket connections at once
    bool operator==(const web_config&) const = default;
};

struct log_config {
    std::string level = "info";
};

struct site_config {
    std::string file;
    modbus_config modbus;
    std::map<std::string, device_config> devices;
    std::vector<unit_config> units;
    log_config log;
    status_config status;
    web_config web;
    // Where settings a restart must keep live (the ESS settings): `state: {dir: ...}`, relative
    // to the config file; systemd's StateDirectory= creates the default.
    std::string state_dir = "/var/lib/vxbridge";
};

// Loads the config and every map it names. Problems go to `diag` (all of them); the result is
// only meaningful when diag is empty.
// `drivers` reads each device's options (app::drivers() in the product).
site_config load_site_config(const std::string& file, core::diagnostics& diag,
                             const devices::driver_registry& drivers);

}  // namespace vx::config
