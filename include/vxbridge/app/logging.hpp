// spdlog set-up: one logger per concern, stderr, journald-friendly lines.
#pragma once

#include <string>

namespace vx::app {

// Creates the loggers (modbus, config, app, devices, vebus, xcom) once; later calls set the level.
void init_logging(const std::string& level);

}  // namespace vx::app
