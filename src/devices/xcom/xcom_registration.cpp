// `driver: xcom` in the registry: its options and its factory.
#include "vxbridge/devices/xcom/xcom_device.hpp"

namespace vx::devices::xcom {

driver_info driver() {
    return with_factory<xcom_device, xcom_options>(options());
}

}  // namespace vx::devices::xcom
