// Options of `driver: xcom` (std only, for the config loader).
#pragma once

#include "vxbridge/devices/driver_registry.hpp"

#include <chrono>

#include "vxbridge/transport/options.hpp"

namespace vx::devices::xcom {

struct xcom_options {
    transport::link_options transport = transport::serial_options{"/dev/ttyUSB0"};
    std::chrono::milliseconds timeout{2'000};  // per request (Studer: up to 2 s)
    int retries = 2;                           // after a timeout
    std::chrono::milliseconds min_gap{0};      // between requests (leave room for the portal)
    std::chrono::milliseconds fast{2'000};     // infos
    std::chrono::milliseconds slow{60'000};    // parameter values
    bool multi_info = true;                    // try object type 0x000A first
    // Demand-driven polling: infos no client has read for `idle_after` are polled every `idle`.
    std::chrono::milliseconds idle_after{120'000};
    std::chrono::milliseconds idle{30'000};
    std::chrono::milliseconds offline_after{15'000};
    bool operator==(const xcom_options&) const = default;
};

// The options half of this driver's registry entry (name, keys, reader), without Asio.
driver_info options();

}  // namespace vx::devices::xcom
