// Options of `driver: modbus` (std only, for the config loader): a remote Modbus device the
// bridge polls as a client - a grid meter on RS-485 or Ethernet - and the device map that says
// what to read (maps/meters/*.yaml, the served maps' schema).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "vxbridge/devices/driver_registry.hpp"
#include "vxbridge/register_map/register_map.hpp"
#include "vxbridge/transport/options.hpp"

namespace vx::devices::modbus_client {

struct client_options {
    // serial_options (RTU; devices naming the same port share one bus) or tcp_client_options.
    transport::link_options transport = transport::tcp_client_options{"127.0.0.1:502"};
    int unit_id = 1;
    std::string model;     // as written: em24, em24_ethernet, et340, em540, sdm630 or a path
    std::string map_file;  // where the device map was found
    std::shared_ptr<const register_map::register_map> map;
    std::uint64_t map_digest = 0;             // of the map file's text (a reload compares it)
    std::chrono::milliseconds interval{100};  // one poll cycle at least this long (as a GX)
    std::chrono::milliseconds timeout{300};   // per request (a GX waits 250 ms for a CG meter)
    int retries = 1;                          // after a timeout, within the cycle
    std::chrono::milliseconds offline_after{5'000};  // the GX drops a meter after 5 s

    bool operator==(const client_options& o) const {
        return transport == o.transport && unit_id == o.unit_id && map_file == o.map_file &&
               map_digest == o.map_digest && interval == o.interval && timeout == o.timeout &&
               retries == o.retries && offline_after == o.offline_after;
    }
};

// The points every shipped meter map names (maps/meters/*.yaml). A served map may bind any of
// them to any meter: one the model does not have (the EM24's per-phase export energy) reads
// unavailable, as on a GX.
const std::vector<std::string>& meter_points();

// The shipped device maps (`model:` names).
const std::vector<std::string>& shipped_models();

// The options half of this driver's registry entry (name, keys, reader), without Asio.
driver_info options();

}  // namespace vx::devices::modbus_client
