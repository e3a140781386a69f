#include "vxbridge/app/drivers.hpp"

#include "vxbridge/devices/modbus_client/client_device.hpp"
#include "vxbridge/devices/static_driver/static_device.hpp"
#include "vxbridge/devices/vebus/vebus_device.hpp"
#include "vxbridge/devices/xcom/xcom_device.hpp"

namespace vx::app {

const devices::driver_registry& drivers() {
    static const devices::driver_registry registry = [] {
        devices::driver_registry r;
        r.add(devices::static_driver::driver());
        r.add(devices::vebus::driver());
        r.add(devices::xcom::driver());
        r.add(devices::modbus_client::driver());
        return r;
    }();
    return registry;
}

}  // namespace vx::app
