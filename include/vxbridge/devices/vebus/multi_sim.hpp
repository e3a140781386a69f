// The simulated MK3 + MultiPlus-II 48/3000 (pure: frames in, frames out, time passed in).
// RAM-variable infos as captured (protocols/vebus-mk3-and-gx.md section 1.7), the ESS assistant
// at RAM 130 (section 1.11), and a small plant: the ESS setpoint moves battery current, SoC and
// AC-in power; it expires after `ess_timeout` (default 15 s) -> 0 W and passthru.
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
    double initial_soc = 60;     // %
    bool mains = true;
};

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
