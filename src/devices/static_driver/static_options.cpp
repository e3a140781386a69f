// `driver: static`: the keys of its devices: entry and their reader.
#include "vxbridge/devices/static_driver/static_options.hpp"

#include "vxbridge/devices/option_readers.hpp"

namespace vx::devices::static_driver {

namespace {
static_options read(register_map::yaml_fields& f) {
    static_options o;
    if (auto s = read_seconds(f, "latency", 0, 60)) o.latency = *s;
    if (auto b = f.boolean("offline")) o.offline = *b;
    return o;
}
}  // namespace

driver_info options() {
    return options_entry<static_options>("static", {"latency", "offline"}, read);
}

}  // namespace vx::devices::static_driver
