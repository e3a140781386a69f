// The simulated MK3 + a VE.Bus system of MultiPlus-II 48/3000 units (pure: frames in, frames out,
// time passed in): one unit, or 2-3 in parallel per phase on 1-3 phases
// (protocols/vebus-multi-unit.md section 7). RAM-variable infos as captured
// (protocols/vebus-mk3-and-gx.md section 1.7), the ESS assistant at RAM 130 on every unit (section
// 1.11), per-unit addressing with 'A' (winmon frames go to the selected unit; 'F' and 'L' do not
// follow it), the phase frames F 1..3 from each phase master, config frames F 07 n, and the site
// around it: a load on AC-out and AC-coupled PV shared over the phases, a load between the grid
// and the Multi (seen only by a grid meter), one battery. In ESS each phase reaches about 96 % of
// its commanded AC-in power (units x the per-unit setpoint its master got), ramping at 400 W/s
// (ess-and-grid-meters.md section 2.2); an unrefreshed setpoint expires after `ess_timeout`
// (default 15 s) per phase master -> that phase passes through. Units of a phase share its power
// with +-1 % per unit, so per-unit reads visibly differ. Every [U] of the multi-unit notes is an
// option here.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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
    // The VE.Bus system: phases (1, 2 = split phase, 3) x units per phase (1..3).
    int phases = 1;
    int units_per_phase = 1;
    // [U] Short addresses of a single-phase parallel system: 0,1,2 (contiguous) or 0,3,6
    // (stride3, velib's addr % 3 rule). Multi-phase systems: contiguous, phase = addr % phases.
    enum class scheme { contiguous, stride3 } address_scheme = scheme::contiguous;
    // [U] An ESS setpoint written to a slave: acknowledged and ignored, applied to its phase as
    // if written to the master, or refused (0x80).
    enum class slave_write { ignore, apply, refuse } slave_ess = slave_write::ignore;
    bool garbage_beyond_phases = false;  // [U] F n above the phase count: silence or garbage
    bool answer_address_read = true;     // [U] 'A' 00: echo the selected address, or silence
    bool config_needs_s = false;         // [U] F 07 answered only after an 'S' with ext0 0x04
    // [U] Lower-case x/y/z with a trailing device byte (msatlow): silence, or executed on that
    // unit with an upper-case reply.
    bool lowercase_xyz = false;
};

// "1x1", "1x2", "1x3", "2x1", "3x1", "3x2" (phases x units per phase); nullopt otherwise.
std::optional<std::pair<int, int>> parse_topology(std::string_view text);

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

    // The replies to one request (none for 'F' 06, 'F' 08, sleep/wake, unknown frames, absent
    // units).
    std::vector<frame> handle(const frame& request, clock::time_point now);
    // Advances the plant to `now`.
    void tick(clock::time_point now);
    frame version_frame() const;

    // State for tests and the plant (totals over the phases unless a phase 0..2 is named).
    std::int16_t ess_setpoint_ram() const { return phase_[0].ess_ram; }  // L1, per unit, + = feed
    std::int16_t phase_setpoint_ram(int p) const { return phase_[p].ess_ram; }
    std::uint64_t phase_writes(int p) const { return phase_[p].writes; }  // ESS writes taken
    double soc() const { return soc_; }
    double battery_power() const { return bat_p_; }
    double input_power_import() const;
    double phase_import(int p) const { return phase_[p].in_p; }
    // What a grid meter sees on each phase: the Multi's AC input plus the load between grid
    // and Multi (on L1).
    double grid_power() const { return input_power_import() + o_.grid_load_w; }
    double phase_grid_power(int p) const {
        return phase_[p].in_p + (p == 0 ? o_.grid_load_w : 0.0);
    }
    double ac_out_power() const;
    // The site, changed by control lines (`load W [L1|L2|L3]`, `pv W`, `grid_load W`, `soc %`).
    void set_load(double w);               // the site's total, shared over the phases
    void set_phase_load(int p, double w);  // one phase
    void set_pv(double w);
    void set_grid_load(double w) { o_.grid_load_w = w; }
    void set_soc(double percent);
    const multi_sim_options& site() const { return o_; }
    double phase_load(int p) const { return phase_[p].load_w; }
    std::uint8_t switch_state() const { return switch_; }
    std::uint16_t input_limit() const { return limit_; }  // 0.1 A
    bool asleep() const { return asleep_; }
    std::uint8_t device_state() const { return phase_state(0); }
    std::uint64_t setpoint_writes() const { return setpoint_writes_; }
    // Every change of the L1 ESS setpoint (RAM value, Multi sign), in order; refreshes add
    // nothing.
    const std::vector<std::int16_t>& setpoint_history() const { return setpoint_history_; }
    // Busy: winmon commands are answered 0x80 "not supported", as when a GX holds VE.Bus
    // (captured: `04 FF 57 80 00 26`).
    void set_busy(bool busy) { busy_ = busy; }

    // The units: short address, phase 0..2, phase master, switched on.
    struct unit {
        std::uint8_t addr = 0;
        int phase = 0;
        bool master = false;
        bool present = true;
        int index = 0;  // within its phase
    };
    const std::vector<unit>& units() const { return units_; }
    std::uint32_t short_ids() const;
    // `unit N off|on`: an absent unit answers nothing; the bus reports VE.Bus error 17 (a phase
    // master missing) or 3 (a slave missing). False for an address that is not configured.
    bool set_unit_present(std::uint8_t addr, bool present);
    std::uint8_t selected() const { return selected_; }
    std::uint8_t vebus_error() const;
    std::string topology() const;

  private:
    struct phase_plant {
        std::int16_t ess_ram = 0;  // per unit, Multi sign: + = feed-in
        clock::time_point ess_written{};
        bool ess_active = false;
        double in_p = 0;  // import at AC-in
        double load_w = 0, pv_w = 0;
        int units = 0;
        std::uint64_t writes = 0;
    };
    std::vector<frame> winmon_reply(const unit& u, const frame& request, clock::time_point now);
    std::uint16_t ram(const unit& u, std::uint8_t id) const;
    const unit* find(std::uint8_t addr) const;
    const unit* master_of(int phase) const;
    double share(const unit& u) const;  // the unit's part of its phase (sums to 1)
    double out_power(int p) const;
    double phase_voltage(int p) const;
    std::uint8_t phase_state(int p) const;
    frame ac_frame(int p) const;
    frame dc_frame() const;
    frame ac_in_config_frame() const;
    frame config_frame(const unit& u) const;

    multi_sim_options o_;
    std::vector<unit> units_;
    std::array<phase_plant, 3> phase_{};
    std::vector<std::uint8_t> snapshot_ids_;
    std::uint8_t switch_ = 3;    // 1 charger-only, 2 inverter-only, 3 on, 4 off
    std::uint16_t limit_ = 160;  // 16.0 A
    bool asleep_ = false;
    bool address_set_ = false;
    std::uint8_t selected_ = 0;
    bool s_ext0_ = false;  // an 'S' with ext0 bit 0x04 was seen (config_needs_s)
    double soc_;
    double bat_v_ = 51.2, bat_i_ = 0, bat_p_ = 0;
    clock::time_point last_tick_{};
    std::uint64_t setpoint_writes_ = 0;
    std::vector<std::int16_t> setpoint_history_;
    bool busy_ = false;
};

}  // namespace vx::devices::vebus
