#include "vxbridge/modbus/unit_router.hpp"

namespace vx::modbus {

core::point_spec spec_of(std::uint8_t unit_id, int device_address,
                         const register_map::register_entry& e) {
    core::point_spec spec;
    if (e.source) spec.ref = *e.source;
    spec.binding = std::to_string(unit_id) + "/" + e.name;
    spec.device_address = device_address;
    spec.poll = e.poll;
    spec.writable = e.access == register_map::access_mode::rw;
    spec.persist = e.persist;
    return spec;
}

std::vector<const unit*> unit_router::all() const {
    std::vector<const unit*> out;
    for (const auto& u : units_)
        if (u) out.push_back(u.get());
    return out;
}

}  // namespace vx::modbus
