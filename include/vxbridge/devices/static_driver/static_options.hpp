// Options of `driver: static` (kept apart so the config loader needs no Asio).
#pragma once

#include "vxbridge/devices/driver_registry.hpp"

#include <chrono>

namespace vx::devices::static_driver {

struct static_options {
    std::chrono::milliseconds latency{0};  // delay before a write is confirmed
    bool offline = false;                  // the device reads as unreachable (0x0A)
    bool operator==(const static_options&) const = default;
};

// The options half of this driver's registry entry (name, keys, reader), without Asio.
driver_info options();

}  // namespace vx::devices::static_driver
