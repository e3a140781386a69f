// The ESS loop a GX runs (hub4control + systemcalc's BatteryLife), as pure logic: the settings
// registers energy managers write (protocols/ess-and-grid-meters.md section 1), the override
// with its expiry, and one decision per fresh measurement or tick - time passed in, no I/O. The
// app's ess_service feeds it the Multi's values and sends its commands (DESIGN.md section 4:
// control knows no driver).
//
// Modes (2902): 1 and 2 regulate the grid to the target; 3 (external) does nothing - a client
// writes the Multi's setpoint itself.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vxbridge/control/battery_life.hpp"
#include "vxbridge/control/ess_regulator.hpp"
#include "vxbridge/core/value.hpp"

namespace vx::control {

// One setting (a register on the GX system unit): its name as a map source `{ess: NAME}`, range
// (a write outside is refused before anything changes), GX default, and whether it survives a
// restart (com.victronenergy.settings) or not (hub4 /Overrides, read-only figures).
struct setting_def {
    std::string_view name;
    double lo, hi, fallback;
    bool persistent, writable;
};
const std::vector<setting_def>& ess_setting_defs();

struct ess_config {
    int mode = 3;                  // 2902 on a fresh site: 3 = external (today's behaviour)
    double min_soc = 10;           // 2901 on a fresh site, %
    double grid_setpoint_w = 50;   // 2700 on a fresh site
    bool has_meter = false;        // a grid meter is configured (issue 13); else 2718 = 1
    double max_charge_w = 32'700;  // the Multi's limits (ess.max_charge_w / max_feed_w)
    double max_feed_w = 32'700;
    std::chrono::seconds override_timeout{180};    // 2716 without a refresh
    std::chrono::milliseconds stale_after{5000};   // measurement older: passthru
    std::chrono::milliseconds resend_every{1000};  // the setpoint, even unchanged
    control_law law = control_law::gx_integral;
};

// The Multi's values the loop needs (and the grid meter's, when there is one).
struct ess_sample {
    double ac_in_w = 0, ac_out_w = 0;  // the Multi's (all phases)
    // Split-phase / 3-phase systems: phases, units (limits are per Multi), per-phase values.
    int phases = 1, units = 1;
    std::array<double, 3> ac_in_l{}, ac_out_l{};
    std::optional<double> grid_l2_w, grid_l3_w;  // the meter's other phases
    std::optional<double> grid_w;     // the meter's total; none: the Multi's AC input is the grid
    std::optional<double> grid_l1_w;  // the meter's phase of the Multi (2902 = 2)
    // When the meter last answered with values that move (a frozen meter's stops moving).
    std::optional<std::chrono::steady_clock::time_point> grid_at;
    std::optional<double> soc, bat_v;
    std::chrono::steady_clock::time_point at;  // when the device answered
};

// What to send to the Multi. `passthru`: 0 W, the loop stopped (stale, link lost).
struct ess_command {
    double setpoint_w = 0;  // the total over the phases
    bool disable_charge = false, disable_feedin = false;
    bool passthru = false;
    int phases = 1;
    std::array<double, 3> phase_w{};  // per phase (GX registers 37 / 40 / 41)
};

// What a write did: ok, refused (out of range: the GX's SetValue error, exception 0x0A), or
// not writable.
enum class setting_write { ok, out_of_range, read_only, unknown };

class ess_loop {
  public:
    using steady = std::chrono::steady_clock;
    using wall = std::chrono::system_clock;

    explicit ess_loop(ess_config c, battery_life_memory bl = {});

    // A client's write to a setting (a register's engineering value).
    setting_write write(std::string_view name, double value, steady::time_point now);
    // A setting's or status figure's value (names: ess_setting_defs() and status_names()).
    core::value read(std::string_view name, steady::time_point now) const;
    static const std::vector<std::string>& status_names();

    // A fresh measurement: one regulation step (nullopt in mode 3 / nothing to do).
    std::optional<ess_command> on_sample(const ess_sample& s, steady::time_point now,
                                         wall::time_point wall_now, int local_minutes);
    // Called every second: a stale measurement or a lost link stops regulation (a passthru
    // command, once); otherwise the last command is re-sent when nothing was sent for
    // resend_every.
    std::optional<ess_command> tick(steady::time_point now, bool link_up);
    // While regulating: when the measurement in use goes stale if nothing fresh arrives (the
    // caller ticks then, so passthru follows the 5 s rule closely rather than up to a tick late).
    std::optional<steady::time_point> stale_at() const;

    // The persistent settings and BatteryLife's memory (what the state file holds).
    std::map<std::string, double> persistent() const;
    battery_life_memory battery_memory() const { return bl_.memory(); }
    void restore(const std::map<std::string, double>& settings);
    // Bumped by every change a restart must keep (the state file is rewritten when it moves).
    std::uint64_t persistent_version() const { return version_; }

    int mode() const;
    // A meter is configured and 2718 = 0: the loop regulates on it (else on the Multi's AC-in).
    bool meter_in_use() const;
    bool regulating() const { return regulating_; }
    const std::string& state_text() const { return state_; }

  private:
    double setting(std::string_view name) const;
    std::optional<double> target(steady::time_point now) const;
    ess_limits limits(const ess_sample& s) const;
    void per_phase_step(const ess_sample& s, steady::time_point now, const ess_limits& l,
                        ess_command& c);
    void set_state(std::string s);

    ess_config cfg_;
    std::map<std::string, double, std::less<>> values_;
    battery_life bl_;
    ess_regulator regulator_;
    std::array<ess_regulator, 3> phase_regulators_;  // 2902 = 2 on a multi-phase system
    std::optional<double> override_w_;
    steady::time_point override_at_{};
    std::optional<ess_sample> last_sample_;
    std::optional<ess_command> last_command_;
    steady::time_point last_sent_{};
    steady::time_point meter_seen_{};  // the last fresh meter sample (or the loop's start)
    ess_step last_step_{};
    ess_limits last_limits_{};  // in force at the last step (the view shows them)
    bool regulating_ = false, stopped_ = false;
    std::string state_ = "starting";
    std::uint64_t version_ = 0;
};

}  // namespace vx::control
