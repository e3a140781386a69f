// `driver: static` in the registry: its options and its factory.
#include "vxbridge/devices/static_driver/static_device.hpp"

namespace vx::devices::static_driver {

driver_info driver() {
    return with_factory<static_device, static_options>(options());
}

}  // namespace vx::devices::static_driver
