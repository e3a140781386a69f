// `vxbridge regs`: a map as the register list an integrator hands to the SCADA team.
#pragma once

#include <string>

#include "vxbridge/register_map/register_map.hpp"

namespace vx::register_map {

enum class list_format { markdown, csv };

std::string format_register_list(const register_map& map, list_format format);

}  // namespace vx::register_map
