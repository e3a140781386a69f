#include "vxbridge/core/point.hpp"

namespace vx::core {

std::string point_ref::id() const {
    std::string s = kind + ":" + key;
    for (const auto& [k, v] : options) s += "," + k + "=" + v;
    return s;
}

const std::string* point_ref::option(const std::string& name) const {
    for (const auto& [k, v] : options)
        if (k == name) return &v;
    return nullptr;
}

}  // namespace vx::core
