#include "vxbridge/control/ess_regulator.hpp"

#include <algorithm>
#include <cmath>

namespace vx::control {

namespace {
constexpr double kMaxSetpoint = 32'700;  // hub4control clamps the output (section 2.2)
constexpr double kMaxTrim = 1'000;       // W: the limit trim corrects a plant error, no more
constexpr double kMinGain = 0.85, kMaxGain = 1.15;  // the share of a command the Multi reaches
constexpr double kMaxResidual = 100;  // W: the largest error the small-command integral takes
}  // namespace

ess_step ess_regulator::step(double ac_in_w, double ac_out_w, double grid_w, double target_w,
                             const ess_limits& limits) {
    ess_step out;
    // Max feed-in: never aim below -limit at the grid (what DESS does through the override).
    out.target_w = limits.max_feed_in_w ? std::max(target_w, -*limits.max_feed_in_w) : target_w;
    if (out.target_w != target_w) out.limited_by = "max feed-in";
    // Hold the last command while the Multi is still ramping towards it (400 W/s) for the same
    // target: with a grid meter, P_in and the meter are sampled at different moments, and a
    // step on a mid-ramp pair (the meter older than the AC input) asks for the ramp's distance
    // twice - the overshoot the ESS bench showed on a grid-side load step. The command already
    // aims at the end of the ramp; once the Multi stops moving the loop steps again. Without a
    // meter (grid = P_in) the law gives the same command either way.
    if (last_setpoint_ && last_ac_in_ && last_target_ && *last_target_ == out.target_w &&
        limit_side_ == 0) {
        // Moving towards the command since the last measurement - including the measurement
        // where it arrives: the meter may not show that moment yet, the next pair is whole.
        const double aim = gain_ * *last_setpoint_;
        const double moved = ac_in_w - *last_ac_in_;
        const bool moving = std::fabs(moved) > 0.02 * std::fabs(ac_in_w) + 10;
        if (moving && (aim - *last_ac_in_) * moved > 0) {
            last_ac_in_ = ac_in_w;
            out.setpoint_w = *last_setpoint_;
            return out;
        }
    }
    const double error = out.target_w - grid_w;
    // The small-command integral holds the plant's offset at the operating point it was learnt
    // at; a large error (a new target, a load step) moves the Multi far from it, and carrying
    // it over would put the first command off by that offset.
    if (std::fabs(error) > kMaxResidual) integral_ = 0;
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
    // The correction terms act on the plant's steady error only (the Multi reaches ~96 % of a
    // command). While the Multi is still ramping towards the last command (400 W/s) the error
    // is the ramp's, not the plant's, and integrating it would wind the terms up: they learn
    // only once the AC input is within 10 % (+30 W) of the last command.
    // Settled: near the last command and no longer moving (a sample in mid-ramp would teach a
    // wrong share).
    const bool settled =
        last_setpoint_ && last_ac_in_ &&
        std::fabs(ac_in_w - *last_setpoint_) <= 0.1 * std::fabs(*last_setpoint_) + 30 &&
        std::fabs(ac_in_w - *last_ac_in_) <= 0.02 * std::fabs(ac_in_w) + 10;
    last_ac_in_ = ac_in_w;
    // Against a limit the quantity to hold is the battery power itself: commanding exactly the
    // limit would still discharge a blocked battery by 4 % of the load. A trim integrates the
    // measured battery power's distance from the limit; it starts afresh whenever the limit
    // lets go or changes side.
    const int side = bounded > x ? -1 : bounded < x ? 1 : 0;
    if (side != limit_side_) limit_trim_ = 0;
    limit_side_ = side;
    if (law_ == control_law::gx_integral && side != 0 && settled) {
        const double measured = ac_in_w - ac_out_w;
        limit_trim_ = std::clamp(limit_trim_ + ki_ * (bounded - measured), -kMaxTrim, kMaxTrim);
    }
    // The Multi reaches a share of its command (~96 %): with the integral law the command is
    // divided by that share, learnt from settled steps, so a new target is met right after the
    // ramp instead of after the integral has caught up.
    if (law_ == control_law::gx_integral && settled && std::fabs(*last_setpoint_) >= 200) {
        const double share = ac_in_w / *last_setpoint_;
        gain_ = std::clamp(gain_ + 0.5 * (share - gain_), kMinGain, kMaxGain);
    }
    const double ac_in_wanted = bounded + limit_trim_ + ac_out_w;
    const double setpoint =
        std::clamp(law_ == control_law::gx_integral ? ac_in_wanted / gain_ : ac_in_wanted,
                   -kMaxSetpoint, kMaxSetpoint);
    out.setpoint_w = std::round(setpoint);

    // Anti-windup: integrate only while the output is free to follow (no limit) and settled;
    // above 200 W the learnt share does this work (two integrators on one error overshoot).
    // What it learnt at small commands fades above 200 W, where it would be a fixed offset.
    if (law_ == control_law::gx_integral && settled) {
        if (std::fabs(*last_setpoint_) >= 200) {
            integral_ *= 0.5;
        } else if (side == 0) {
            // The plant's error is the distance from what the last command aimed at: right
            // after a target change the new target's error is the step's, not the plant's.
            // Only a small residual is the plant's: a larger error is a new disturbance (a
            // load step) the law above already answers in full; integrating it too would
            // ask for it twice.
            const double plant_error = last_target_.value_or(out.target_w) - grid_w;
            if (std::fabs(plant_error) <= kMaxResidual) integral_ += ki_ * plant_error;
            integral_ = std::clamp(integral_, -kMaxSetpoint, kMaxSetpoint);
        }
    }
    last_setpoint_ = out.setpoint_w;
    last_target_ = out.target_w;
    return out;
}

}  // namespace vx::control
