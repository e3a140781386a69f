// Unit id -> unit: a register image, the device that serves it, each entry's point binding and
// the writer its writes go to, and the unit's subscriptions (they end with the unit).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vxbridge/core/command.hpp"
#include "vxbridge/core/subscription.hpp"
#include "vxbridge/register_map/register_image.hpp"

namespace vx::modbus {

// A map entry's point and where writes to it go (null: not writable).
struct bound_point {
    core::point_spec spec;
    std::shared_ptr<core::point_writer> writer;
};

struct unit {
    std::uint8_t id = 0;
    std::string device_name;
    std::shared_ptr<register_map::register_image> image;
    std::shared_ptr<core::point_writer> device;  // the unit's device; null: always online
    // Point bindings per table (holding, input, coils, discrete_inputs), by entry index.
    std::array<std::vector<bound_point>, 4> points;
    std::vector<core::subscription> subscriptions;

    const bound_point& point(register_map::entry_ref r) const {
        return points[static_cast<std::size_t>(r.table)][r.index];
    }
    bool online() const { return !device || device->online(); }
};

class unit_router {
  public:
    void add(std::shared_ptr<const unit> u) { units_[u->id] = std::move(u); }
    const unit* find(std::uint8_t id) const { return units_[id].get(); }
    // Modbus TCP only: requests for unit 0 go to unit `to` (a GX serves its system service on
    // 0 and 100). On a serial bus 0 is broadcast, so the RTU server never asks for this.
    void alias_unit0(std::uint8_t to) { unit0_alias_ = to; }
    std::uint8_t tcp_unit(std::uint8_t id) const {
        return id == 0 && unit0_alias_ != 0 && !units_[0] ? unit0_alias_ : id;
    }
    std::vector<const unit*> all() const;

  private:
    std::array<std::shared_ptr<const unit>, 256> units_;
    std::uint8_t unit0_alias_ = 0;  // 0: none
};

}  // namespace vx::modbus
