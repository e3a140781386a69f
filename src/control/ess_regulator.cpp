#include "vxbridge/control/ess_regulator.hpp"

#include <algorithm>
#include <cmath>

namespace vx::control {

namespace {
constexpr double kMaxSetpoint = 32'700;  // hub4control clamps the output (section 2.2)
}

ess_step ess_regulator::step(double ac_in_w, double ac_out_w, double grid_w, double target_w,
                             const ess_limits& limits) {
    ess_step out;
    // Max feed-in: never aim below -limit at the grid (what DESS does through the override).
    out.target_w = limits.max_feed_in_w ? std::max(target_w, -*limits.max_feed_in_w) : target_w;
    if (out.target_w != target_w) out.limited_by = "max feed-in";
    const double error = out.target_w - grid_w;
    const double wanted = ac_in_w + error + integral_;

    // Limits in the battery frame: x = AC-in - AC-out is what goes into the battery.
    double x = wanted - ac_out_w;
    const double lo = limits.discharge_blocked ? 0.0
                      : limits.max_discharge_w ? -*limits.max_discharge_w
                                               : -kMaxSetpoint;
    const double hi = limits.max_charge_w ? *limits.max_charge_w : kMaxSetpoint;
    double bounded = std::clamp(x, lo, std::max(lo, hi));
    if (limits.force_charge_w && bounded < *limits.force_charge_w) {
        bounded = std::min(*limits.force_charge_w, std::max(lo, hi));
        out.limited_by = "force charge";
    } else if (bounded > x) {
        out.limited_by = limits.discharge_blocked ? "discharge blocked" : "max discharge";
    } else if (bounded < x) {
        out.limited_by = "max charge";
    }
    const double setpoint = std::clamp(bounded + ac_out_w, -kMaxSetpoint, kMaxSetpoint);
    out.setpoint_w = std::round(setpoint);

    // Anti-windup: integrate only while the output is free to follow, or while the error
    // would pull it back inside its limits.
    if (law_ == control_law::gx_integral) {
        const bool pushing_up = error > 0 && bounded < x;
        const bool pushing_down = error < 0 && bounded > x;
        if (!pushing_up && !pushing_down) integral_ += ki_ * error;
        integral_ = std::clamp(integral_, -kMaxSetpoint, kMaxSetpoint);
    }
    return out;
}

}  // namespace vx::control
