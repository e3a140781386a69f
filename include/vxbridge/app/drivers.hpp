// The drivers of this build, registered in one table (the only list of concrete drivers).
#pragma once

#include "vxbridge/devices/driver_registry.hpp"

namespace vx::app {

const devices::driver_registry& drivers();

}  // namespace vx::app
