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

// Where a map entry's writes go (null: not writable). The entry's point_spec is not kept per
// register (3,800 registers on a Studer site: 0.8 MB of copies); unit::spec_of() makes it from
// the map entry when a write needs it.
struct bound_point {
    std::shared_ptr<core::point_writer> writer;
};

// The point an entry of unit `unit_id` names, as drivers see it (the subscription and writes).
core::point_spec spec_of(std::uint8_t unit_id, int device_address,
                         const register_map::register_entry& e);

struct unit {
    std::uint8_t id = 0;
    std::string device_name;
    int device_address = 0;  // the target behind a shared link (Xcom 101...), 0 = none
    std::shared_ptr<register_map::register_image> image;
    std::shared_ptr<core::point_writer> device;  // the unit's device; null: always online
    // Write routes per table (holding, input, coils, discrete_inputs), by entry index.
    std::array<std::vector<bound_point>, 4> points;
    std::vector<core::subscription> subscriptions;

    const bound_point& point(register_map::entry_ref r) const {
        return points[static_cast<std::size_t>(r.table)][r.index];
    }
    core::point_spec spec_of(register_map::entry_ref r) const {
        return modbus::spec_of(id, device_address, image->entry(r));
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
