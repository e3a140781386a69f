// `driver: vebus` in the registry: its options and its factory.
#include "vxbridge/devices/vebus/vebus_device.hpp"

namespace vx::devices::vebus {

driver_info driver() {
    return with_factory<vebus_device, vebus_options>(options());
}

}  // namespace vx::devices::vebus
