// A simulated grid meter: per-phase power from the plant, voltages and frequency with the small
// wander of a real grid, currents, power factors and energy counters that integrate the power.
// Its registers follow a device map (maps/meters/*.yaml), so the same simulator is an EM24,
// an ET340 or an SDM630 - and it answers FC3/FC4 as the meter would: at most max_read
// registers per request (else exception 3), exception 2 where the map has nothing, currents
// without sign where the map takes their sign from the power. Pure: time passed in, no I/O.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "vxbridge/core/value.hpp"
#include "vxbridge/register_map/register_map.hpp"

namespace vx::devices::modbus_client {

class meter_sim {
  public:
    using clock = std::chrono::steady_clock;
    explicit meter_sim(std::shared_ptr<const register_map::register_map> map,
                       std::uint32_t seed = 7);

    // The plant's power per phase at `now` (W, + = import from the grid); energies integrate.
    void update(const std::array<double, 3>& phase_w, clock::time_point now);
    // Frozen: the values stop changing (a meter stuck on its last reading).
    void set_frozen(bool f) { frozen_ = f; }

    // Every point of the meter by name (the shipped maps' names).
    std::map<std::string, core::value> values() const;
    double power() const { return p_[0] + p_[1] + p_[2]; }
    double phase_power(int i) const { return p_[static_cast<std::size_t>(i)]; }

    // The response PDU to a request PDU (function, data...): FC3/FC4 only, else exception 1.
    std::vector<std::uint8_t> handle(std::span<const std::uint8_t> pdu) const;

    const register_map::register_map& map() const { return *map_; }

  private:
    std::shared_ptr<const register_map::register_map> map_;
    std::mt19937 rng_;
    std::array<double, 3> p_{}, v_{230.1, 229.6, 230.4}, e_in_{}, e_out_{};
    double f_ = 50.0;
    clock::time_point last_{};
    bool frozen_ = false;
};

}  // namespace vx::devices::modbus_client
