// Strict loader for map YAML (DESIGN.md section 2): collects every problem, then fails once.
#pragma once

#include <memory>
#include <string>

#include "vxbridge/core/diagnostics.hpp"
#include "vxbridge/register_map/register_map.hpp"

namespace vx::register_map {

// Loads and validates a map file. Problems go to `diag`; the result is null when any was found.
std::shared_ptr<const register_map> load_map(const std::string& file, core::diagnostics& diag);

// Same, throwing core::load_error with every problem.
std::shared_ptr<const register_map> load_map_or_throw(const std::string& file);

}  // namespace vx::register_map
