// The Modbus servers' counters, read by the status unit and the per-minute log line.
#pragma once

#include <atomic>
#include <cstdint>

namespace vx::modbus {

// Counters the status unit and logs read (any thread).
struct server_stats {
    std::atomic<std::uint64_t> connections_total{0};
    std::atomic<std::uint64_t> connections_refused{0};
    std::atomic<std::uint32_t> connections_open{0};
    std::atomic<std::uint64_t> requests{0};
    std::atomic<std::uint64_t> exceptions{0};
    std::atomic<std::uint64_t> malformed{0};
};

}  // namespace vx::modbus
