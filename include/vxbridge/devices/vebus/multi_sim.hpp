// The simulated MK3 + MultiPlus-II 48/3000 (pure: frames in, frames out, time passed in).
// RAM-variable infos as captured (protocols/vebus-mk3-and-gx.md section 1.7), the ESS assistant
// at RAM 130 (section 1.11), and the site around it: a load on AC-out, AC-coupled PV on AC-out,
// a load between the grid and the Multi (seen only by a grid meter), the battery's SoC. In ESS
// the Multi reaches about 96 % of a commanded AC-in power, ramping at 400 W/s
// (ess-and-grid-meters.md section 2.2); an unrefreshed setpoint expires after `ess_timeout`
// (default 15 s) -> passthru (AC-in = what AC-out needs).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

#include "vxbridge/devices/vebus/mk3_frame.hpp"

namespace vx::devices::vebus {

struct multi_sim_options {
    std::chrono::milliseconds ess_timeout{15'000};
    double capacity_wh = 5'000;  // battery
    double load_w = 300;         // AC-out consumption
    double pv_w = 0;             // AC-coupled PV on AC-out
    double grid_load_w = 0;      // between grid and Multi: only a grid meter sees it
    double initial_soc = 60;     // %
    double ess_gain = 0.96;      // share of a commanded AC-in power the Multi reaches
    double ramp_w_per_s = 400;   // ESS firmware rate limit
    bool mains = true;
};

// A day of a household for the demo (pure): AC-out load and AC-coupled PV at `hour` (0..24,
// local time) - a 250 W base, a morning and an evening peak, PV from 6 to 20 h peaking at
// 3.5 kW at 13 h.
struct site_powers {
    double load_w, pv_w;
};
site_powers day_profile(double hour);

class multi_sim {
  public:
    using clock = std::chrono::steady_clock;
    explicit multi_sim(multi_sim_options o = {});

    // The replies to one request (none for 'F' 06, sleep/wake and unknown frames).
    std::vector<frame> handle(const frame& request, clock::time_point now);
    // Advances the plant to `now`.
    void tick(clock::time_point now);
    frame version_frame() const;

    // State for tests and the plant.
    std::int16_t ess_setpoint_ram() const { return ess_ram_; }  // Multi sign: + = feed-in
    double soc() const { return soc_; }
    double battery_power() const { return bat_p_; }
    double input_power_import() const { return in_p_; }
    // What a grid meter sees: the Multi's AC input plus the load between grid and Multi.
    double grid_power() const { return in_p_ + o_.grid_load_w; }
    double ac_out_power() const { return o_.load_w - o_.pv_w; }
    // The site, changed by control lines (`load W`, `pv W`, `grid_load W`, `soc %`).
    void set_load(double w) { o_.load_w = w; }
    void set_pv(double w) { o_.pv_w = w; }
    void set_grid_load(double w) { o_.grid_load_w = w; }
    void set_soc(double percent);
    const multi_sim_options& site() const { return o_; }
    std::uint8_t switch_state() const { return switch_; }
    std::uint16_t input_limit() const { return limit_; }  // 0.1 A
    bool asleep() const { return asleep_; }
    std::uint8_t device_state() const;
    std::uint64_t setpoint_writes() const { return setpoint_writes_; }
    // Every change of the ESS setpoint (RAM value, Multi sign), in order; refreshes add nothing.
    const std::vector<std::int16_t>& setpoint_history() const { return setpoint_history_; }
    // Busy: winmon commands are answered 0x80 "not supported", as when a GX holds VE.Bus
    // (captured: `04 FF 57 80 00 26`).
    void set_busy(bool busy) { busy_ = busy; }

  private:
    std::vector<frame> winmon_reply(const frame& request, clock::time_point now);
    std::uint16_t ram(std::uint8_t id) const;
    frame ac_frame() const;
    frame dc_frame() const;
    frame ac_in_config_frame() const;

    multi_sim_options o_;
    std::int16_t ess_ram_ = 0;
    clock::time_point ess_written_{};
    bool ess_active_ = false;  // a setpoint written and refreshed within ess_timeout
    std::vector<std::uint8_t> snapshot_ids_;
    std::uint8_t switch_ = 3;    // 1 charger-only, 2 inverter-only, 3 on, 4 off
    std::uint16_t limit_ = 160;  // 16.0 A
    bool asleep_ = false;
    bool address_set_ = false;
    double soc_;
    double bat_v_ = 51.2, bat_i_ = 0, bat_p_ = 0, in_p_ = 0;
    clock::time_point last_tick_{};
    std::uint64_t setpoint_writes_ = 0;
    std::vector<std::int16_t> setpoint_history_;
    bool busy_ = false;
};

}  // namespace vx::devices::vebus
