#include "vxbridge/modbus/unit_router.hpp"

namespace vx::modbus {

std::vector<const unit*> unit_router::all() const {
    std::vector<const unit*> out;
    for (const auto& u : units_)
        if (u) out.push_back(u.get());
    return out;
}

}  // namespace vx::modbus
