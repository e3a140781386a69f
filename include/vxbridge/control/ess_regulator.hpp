// The ESS power law a GX's hub4control applies in modes 1 and 2
// (protocols/ess-and-grid-meters.md section 2.2-2.3), pure: measurements and limits in, the
// Multi's AC-input setpoint out. "New AC-in setpoint = measured AC-in + (target - measured
// grid)", limits applied in the battery frame (AC-in - AC-out), clamped to +-32700 W. The
// Multi reaches about 96 % of a commanded AC-in power, so the pure law leaves the grid about 4 %
// of the grid-side load above target; the integral term (on by default, with anti-windup)
// removes that. Signs: AC-in > 0 = taking from AC-in (charging), grid > 0 = import.
#pragma once

#include <optional>
#include <string>

namespace vx::control {

enum class control_law {
    gx,           // the GX's law: gain 1, no integral term (ess.control: gx)
    gx_integral,  // the GX's law plus an integral term with anti-windup (default)
};

// Limits in force for one step (magnitudes in W, battery frame).
struct ess_limits {
    std::optional<double> max_charge_w;     // none: no limit (2701, 2705 x UBat, flag 38...)
    std::optional<double> max_discharge_w;  // none: no limit (2702, 2704, flag 39...)
    std::optional<double> max_feed_in_w;    // none: no limit (2706 / 2722)
    bool discharge_blocked = false;         // BatteryLife / minimum SoC: no discharge at all
    std::optional<double> force_charge_w;   // charge at least this (BatteryLife slow charge)
};

struct ess_step {
    double setpoint_w = 0;   // the Multi's AC-input setpoint, rounded to whole W
    double target_w = 0;     // the grid target after the feed-in limit
    std::string limited_by;  // "" or which limit shaped the setpoint (for the view and logs)
};

class ess_regulator {
  public:
    // The share of a command the Multi reaches: ~96 % per the protocol notes (section 2.2, [U]
    // measured by a reverse-engineering project) as the prior, then learnt from settled steps.
    static constexpr double kPriorGain = 0.96;

    explicit ess_regulator(control_law law = control_law::gx_integral, double ki = 0.25)
        : law_(law), ki_(ki) {}

    // One step, on a fresh measurement: `ac_in_w` / `ac_out_w` the Multi's, `grid_w` the grid
    // (the meter's, or the Multi's AC input when there is none), `target_w` 2716 or 2700.
    ess_step step(double ac_in_w, double ac_out_w, double grid_w, double target_w,
                  const ess_limits& limits);
    // Passthru (stale measurement, link lost, external mode): the integral starts afresh.
    double gain() const { return gain_; }
    void reset() {
        integral_ = limit_trim_ = 0;
        gain_ = kPriorGain;
        limit_side_ = 0;
        last_setpoint_.reset();
        last_target_.reset();
        last_ac_in_.reset();
    }
    double integral() const { return integral_; }

  private:
    control_law law_;
    double ki_;
    double integral_ = 0;
    double limit_trim_ = 0;     // holds a battery-frame limit against the plant's gain error
    double gain_ = kPriorGain;  // learnt share of a command the Multi reaches (integral law)
    int limit_side_ = 0;        // -1 at a lower limit, +1 at an upper one
    std::optional<double> last_setpoint_;  // the previous command (the plant follows it)
    std::optional<double> last_target_;    // and the grid target it aimed at
    std::optional<double> last_ac_in_;     // the previous measurement
};

}  // namespace vx::control
