// `driver: xcom`: the keys of its devices: entry (a byte-link transport) and their reader.
#include "vxbridge/devices/xcom/xcom_options.hpp"

#include "vxbridge/devices/option_readers.hpp"

namespace vx::devices::xcom {

namespace {
xcom_options read(register_map::yaml_fields& f) {
    xcom_options o;
    if (auto t = read_transport(f)) o.transport = *t;
    if (auto s = read_seconds(f, "timeout", 0.1, 30)) o.timeout = *s;
    if (auto n = f.integer("retries", 0, 10)) o.retries = static_cast<int>(*n);
    if (auto s = read_seconds(f, "min_gap", 0, 10)) o.min_gap = *s;
    if (auto s = read_seconds(f, "fast", 0.1, 3600)) o.fast = *s;
    if (auto s = read_seconds(f, "slow", 1, 86400)) o.slow = *s;
    if (auto b = f.boolean("multi_info")) o.multi_info = *b;
    if (auto s = read_seconds(f, "idle_after", 1, 86400)) o.idle_after = *s;
    if (auto s = read_seconds(f, "idle", 0.1, 86400)) o.idle = *s;
    if (auto s = read_seconds(f, "offline_after", 1, 3600)) o.offline_after = *s;
    return o;
}
}  // namespace

driver_info options() {
    return options_entry<xcom_options>(
        "xcom",
        {"transport", "timeout", "retries", "min_gap", "fast", "slow", "multi_info",
         "offline_after", "idle_after", "idle"},
        read);
}

}  // namespace vx::devices::xcom
