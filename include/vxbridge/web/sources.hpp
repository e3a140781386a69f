// What the commissioning view shows, as the composition root hands it over: the units (their
// register images and bindings), the devices' links, the Modbus server's counters, the write
// journal and the ESS loops' figures. The view only reads; every function is called on the
// gateway's io thread (DESIGN.md section 4: web knows no device family).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vxbridge/core/value.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/modbus/server_stats.hpp"
#include "vxbridge/modbus/unit_router.hpp"
#include "vxbridge/modbus/write_journal.hpp"

namespace vx::web {

// Named figures of one ESS loop ({ess: NAME} points: ess_state, ess_grid_w, ...).
using figures = std::vector<std::pair<std::string, core::value>>;

struct ess_source {
    std::string name;  // the VE.Bus device the loop regulates
    std::function<figures()> read;
};

struct device_info {
    std::string name, driver;
    devices::link_status link;
};

struct sources {
    std::string site_file;
    std::function<std::string()> check;  // the config's check result ("ok ..." or problems)
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    // Where Modbus is served: "TCP 127.0.0.1:1502", "RTU /dev/ttyUSB0 9600 8E1", ...
    std::function<std::vector<std::string>()> endpoints;
    std::function<std::shared_ptr<const modbus::unit_router>()> router;
    std::function<std::vector<device_info>()> devices;
    std::function<std::vector<ess_source>()> ess;
    const modbus::server_stats* stats = nullptr;
    std::shared_ptr<const modbus::write_journal> writes;
};

}  // namespace vx::web
