// `driver: vebus`: the keys of its devices: entry (ess: as a block) and their reader.
#include "vxbridge/devices/vebus/vebus_options.hpp"

#include "vxbridge/devices/option_readers.hpp"

namespace vx::devices::vebus {

namespace {

void read_ess(register_map::yaml_fields& f, ess_options& ess) {
    register_map::yaml_fields e(
        f.get("ess"), f.file(), f.diag(),
        {"refresh", "setpoint_timeout", "max_charge_w", "max_feed_w", "mode", "min_soc",
         "grid_setpoint", "override_timeout", "control", "grid_meter"},
        "ess");
    if (!e.ok()) return;
    // The Multi drops a setpoint about 15 s after the last write (protocol notes 1.11).
    if (auto s = read_seconds(e, "refresh", 0.2, 10)) ess.refresh = *s;
    if (auto s = read_seconds(e, "setpoint_timeout", 1, 86400)) ess.setpoint_timeout = *s;
    if (auto w = e.number("max_charge_w")) ess.max_charge_w = *w;
    if (auto w = e.number("max_feed_w")) ess.max_feed_w = *w;
    if (ess.max_charge_w < 0 || ess.max_feed_w < 0)
        e.error("'max_charge_w' and 'max_feed_w' are magnitudes (>= 0)");
    // mode: external (2902 = 3: a client writes 37-41, as today), optimized (1: the bridge
    // regulates the grid, phase compensation), individual_phase (2).
    if (auto m = e.choice("mode", {"external", "optimized", "individual_phase"}))
        ess.mode = *m == "optimized" ? 1 : *m == "individual_phase" ? 2 : 3;
    if (auto v = e.number("min_soc")) {
        if (*v < 0 || *v > 100)
            e.error(e.get("min_soc"), "'min_soc' must be 0..100 (%)");
        else
            ess.min_soc = *v;
    }
    if (auto v = e.number("grid_setpoint")) ess.grid_setpoint_w = *v;
    if (auto s = read_seconds(e, "override_timeout", 1, 86400))
        ess.override_timeout = std::chrono::duration_cast<std::chrono::seconds>(*s);
    if (auto c = e.choice("control", {"integral", "gx"})) ess.integral = *c == "integral";
    // The device is checked against the site's devices when the gateway is built.
    if (auto m = e.text("grid_meter")) ess.grid_meter = *m;
}

vebus_options read(register_map::yaml_fields& f) {
    vebus_options o;
    if (auto p = f.text("port", true)) o.port = *p;
    if (auto s = read_seconds(f, "timeout", 0.05, 10)) o.timeout = *s;
    if (auto s = read_seconds(f, "silence", 1, 120)) o.silence = *s;
    if (auto s = read_seconds(f, "offline_after", 1, 3600)) o.offline_after = *s;
    if (auto n = f.integer("slow_every", 1, 100)) o.slow_every = static_cast<int>(*n);
    if (auto s = read_seconds(f, "poll_interval", 0, 60)) o.poll_interval = *s;
    // [U] GX 44-55 per-phase alarms: no per-phase source over the MK3 (multi-unit notes 6).
    if (auto a = f.choice("phase_alarms", {"mirror", "zero"}))
        o.mirror_phase_alarms = *a == "mirror";
    if (f.has("ess")) read_ess(f, o.ess);
    return o;
}

}  // namespace

driver_info options() {
    return options_entry<vebus_options>("vebus",
                                        {"port", "timeout", "silence", "offline_after",
                                         "slow_every", "poll_interval", "phase_alarms", "ess"},
                                        read);
}

}  // namespace vx::devices::vebus
