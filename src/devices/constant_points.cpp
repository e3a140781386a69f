#include "vxbridge/devices/constant_points.hpp"

#include <charconv>

namespace vx::devices {

core::value constant_points::parse_literal(const std::string& text) {
    if (text.empty()) return {};
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec == std::errc() && p == text.data() + text.size()) return i;
    double d = 0;
    auto [q, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec2 == std::errc() && q == text.data() + text.size()) return d;
    return text;
}

void constant_points::subscribe(const core::point_spec& p, value_listener listener) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = points_.try_emplace(p.binding);
    if (fresh) it->second.value = parse_literal(p.ref.key);
    listener(it->second.value, std::chrono::steady_clock::time_point::max());
    it->second.listeners.push_back(std::move(listener));
}

void constant_points::clear_listeners() {
    std::lock_guard lock(mutex_);
    for (auto& [binding, p] : points_) p.listeners.clear();
}

void constant_points::store(const core::point_spec& p, const core::value& v) {
    std::vector<value_listener> listeners;
    {
        std::lock_guard lock(mutex_);
        auto& pt = points_[p.binding];
        pt.value = v;
        listeners = pt.listeners;
    }
    for (const auto& l : listeners) l(v, std::chrono::steady_clock::time_point::max());
}

}  // namespace vx::devices
