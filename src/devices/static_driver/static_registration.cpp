// `driver: static` in the registry: its options and its factory.
#include "vxbridge/devices/option_readers.hpp"
#include "vxbridge/devices/static_driver/static_device.hpp"

namespace vx::devices::static_driver {

driver_info driver() {
    return make_driver_info<static_device, static_options>(
        "static", {"latency", "offline"}, [](register_map::yaml_fields& f) {
            static_options o;
            if (auto s = read_seconds(f, "latency", 0, 60)) o.latency = *s;
            if (auto b = f.boolean("offline")) o.offline = *b;
            return o;
        });
}

}  // namespace vx::devices::static_driver
