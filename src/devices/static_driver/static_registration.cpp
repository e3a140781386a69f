// `driver: static` in the registry: its options and its factory.
#include "vxbridge/devices/option_readers.hpp"
#include "vxbridge/devices/static_driver/static_device.hpp"

namespace vx::devices::static_driver {

driver_info driver() {
    driver_info d;
    d.name = "static";
    d.keys = {"latency", "offline"};
    d.read_options = [](register_map::yaml_fields& f) {
        static_options o;
        if (auto s = read_seconds(f, "latency", 0, 60)) o.latency = *s;
        if (auto b = f.boolean("offline")) o.offline = *b;
        return std::make_shared<options_of<static_options>>(o);
    };
    d.make = [](std::string name, boost::asio::any_io_executor exec, const driver_options& o) {
        return std::make_shared<static_device>(std::move(name), std::move(exec),
                                               options_cast<static_options>(o));
    };
    return d;
}

}  // namespace vx::devices::static_driver
