// sd_notify without libsystemd: one datagram to $NOTIFY_SOCKET (READY=1, WATCHDOG=1,
// STOPPING=1, STATUS=...). Does nothing when not started by systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace vx::app {

// Sends `state` (e.g. "READY=1\nSTATUS=serving"); false when there is no NOTIFY_SOCKET.
bool sd_notify(const std::string& state);
// Half of $WATCHDOG_USEC (how often to send WATCHDOG=1), when systemd asked for a watchdog.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace vx::app
