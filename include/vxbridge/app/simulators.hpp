// `vxbridge sim ...`: the device simulators as commands (and for the demo).
#pragma once

#include <chrono>
#include <string>

namespace vx::app {

struct vebus_sim_args {
    std::string link;
    int latency_ms = 30;
    bool byte_timing = true;
    double ess_timeout_s = 15;
    double load_w = 300;
    double soc = 60;
    bool mains = true;
};

// Runs until SIGINT/SIGTERM; control lines on stdin ("silent on", "drop 0.5", "vanish 3000",
// "status", ...) are answered on stdout. Returns the exit code.
int run_vebus_sim(const vebus_sim_args& args);

}  // namespace vx::app
