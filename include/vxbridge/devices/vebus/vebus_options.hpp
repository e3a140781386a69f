// Options of `driver: vebus` (kept apart so the config loader needs no Asio).
#pragma once

#include "vxbridge/devices/driver_registry.hpp"

#include <chrono>
#include <string>

namespace vx::devices::vebus {

struct ess_options {
    std::chrono::milliseconds refresh{1'000};            // re-send the setpoint this often (< 10 s)
    std::chrono::milliseconds setpoint_timeout{60'000};  // no client write this long -> 0 W
    // Per unit: a phase setpoint (37/40/41) above units x max_charge_w or below
    // -units x max_feed_w gets 0x03.
    double max_charge_w = 3'000;
    double max_feed_w = 3'000;
    // The bridge's ESS loop (what a GX runs); these are the defaults of a fresh site, the
    // settings registers (2700..., 2900...) change them and a restart keeps the change.
    int mode = 3;                 // 2902: 1 optimized, 2 optimized per phase, 3 external
    double min_soc = 10;          // 2901, %
    double grid_setpoint_w = 50;  // 2700
    std::chrono::seconds override_timeout{180};  // 2716 without a refresh
    bool integral = true;                        // control: integral (default) or gx
    std::string grid_meter;  // a `driver: modbus` device to regulate on; "" = the Multi's AC-in
    bool operator==(const ess_options&) const = default;
};

struct vebus_options {
    std::string port = "/dev/ttyUSB0";
    std::chrono::milliseconds timeout{500};           // per request ('F' 5: twice this)
    std::chrono::milliseconds silence{5'000};         // nothing heard this long -> re-initialise
    std::chrono::milliseconds offline_after{10'000};  // unreachable this long -> units answer 0x0A
    int slow_every = 5;                               // slow points every Nth poll cycle
    // Start-to-start period of poll cycles; a write that arrives in the gap goes out at once.
    // 0 = back to back (the link is then always busy and writes wait for the exchange in flight).
    std::chrono::milliseconds poll_interval{500};
    bool mirror_phase_alarms =
        true;  // phase_alarms: mirror (the system alarm on every phase) | zero
    ess_options ess;
    bool operator==(const vebus_options&) const = default;
};

// The options half of this driver's registry entry (name, keys, reader), without Asio.
driver_info options();

}  // namespace vx::devices::vebus
