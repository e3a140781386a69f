// BatteryLife and the SoC guard as a GX's systemcalc runs them
// (protocols/ess-and-grid-meters.md section 2.5, after systemcalc delegates/batterylife.py), as a
// pure state machine: SoC, minimum SoC and the local time go in, the state (register 2900), the
// dynamic limit (2903) and what the ESS loop must do (block discharge, force a slow charge) come
// out. Its memory (state, limit, day flags, time discharged) is what a restart must keep.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace vx::control {

// Register 2900's values (section 1).
enum class bl_state : std::uint8_t {
    unused = 0,
    restarting = 1,        // written 1: "Optimized with BatteryLife" starts here
    self_consumption = 2,  // BatteryLife: normal
    above_85 = 3,          // SoC above 85 % (absorption level)
    above_95 = 4,          // SoC above 95 % (float level)
    discharge_disabled = 5,
    force_charge = 6,  // slow charge, 5 A: discharged for more than 24 h
    sustain = 7,       // the Multi sustains the battery
    low_soc_charge = 8,
    keep_charged = 9,      // "Keep batteries charged"
    optimized_plain = 10,  // without BatteryLife: normal
    below_min_soc = 11,
    recharge = 12,
};

// Bounds and steps (batterylife.py): percentages of SoC.
struct battery_life_constants {
    double absorption_level = 85, float_level = 95;
    double switch_increment = 5, switch_offset = 3, low_soc_charge_offset = 5;
    double switch_max = 80;
    std::chrono::hours force_charge_after{24};
};

// What a restart must keep (persisted with the ESS settings).
struct battery_life_memory {
    bl_state state = bl_state::restarting;
    double soc_limit = 10;  // 2903, %
    // Day flags: the first time per day the battery was discharged / above 85 % / above 95 %.
    bool discharged_today = false, absorption_today = false, float_today = false;
    std::optional<std::chrono::system_clock::time_point> discharged_since;
};

struct battery_life_input {
    std::optional<double> soc;  // %; none: the machine waits
    bool ess_assistant = true;  // the Multi has the ESS assistant
    bool sustain = false;       // the Multi reports Hub4/Sustain
    double min_soc = 10;        // 2901, %
    std::chrono::system_clock::time_point now;
    int local_minutes = 720;  // minutes since local midnight (day flags clear 00:00-00:15)
};

class battery_life {
  public:
    explicit battery_life(battery_life_memory m = {}, battery_life_constants c = {})
        : m_(m), c_(c) {}

    // A client wrote 2900: 1 (with BatteryLife), 9 (keep charged), 10 (without), or a state
    // the machine moves on from; 0 restarts. False for values outside 0..12.
    bool set_mode(int value);
    // One update (the GX ticks every second): up to five transitions.
    void update(const battery_life_input& in);

    bl_state state() const { return m_.state; }
    double soc_limit() const { return m_.soc_limit; }
    // The SoC below which the battery is not discharged (section 2.5): none in keep-charged.
    std::optional<double> active_soc_limit(double min_soc) const;
    // The ESS loop must not discharge the battery (feed-in disabled, register 39 on a GX).
    bool discharge_blocked() const;
    // The ESS loop must charge slowly (5 A) whatever the target.
    bool force_charge() const { return m_.state == bl_state::force_charge; }
    // Keep batteries charged: charge at the maximum allowed.
    bool keep_charged() const { return m_.state == bl_state::keep_charged; }
    const battery_life_memory& memory() const { return m_; }

  private:
    bool step(const battery_life_input& in, double soc);
    bool step_with_battery_life(const battery_life_input& in, double soc, double active);
    bool step_without(double soc, double min_soc);
    void enter(bl_state s, const battery_life_input& in);

    battery_life_memory m_;
    battery_life_constants c_;
};

}  // namespace vx::control
