#include "vxbridge/modbus/unit_binder.hpp"

namespace vx::modbus {

namespace rm = register_map;

const std::shared_ptr<devices::device>& unit_binder::owner_of(
    const core::point_ref* source, const std::shared_ptr<devices::device>& d) const {
    if (source)
        if (const auto it = routes_.find(source->kind); it != routes_.end()) return it->second;
    return d;
}

std::shared_ptr<unit> unit_binder::bind(const unit_binding& b, core::diagnostics& diag) const {
    auto u = std::make_shared<unit>();
    u->id = b.unit_id;
    u->device_name = b.device_name;
    u->device = b.device;
    u->device_address = b.device_address;
    u->image = std::make_shared<rm::register_image>(b.map);
    u->image->track_reads(b.device->wants_demand());
    for (const auto ref : u->image->entries()) {
        const auto& e = u->image->entry(ref);
        auto& points = u->points[static_cast<std::size_t>(ref.table)];
        points.resize(std::max<std::size_t>(points.size(), ref.index + 1));
        if (e.type == rm::value_type::pad) continue;
        if (!e.source && e.access != rm::access_mode::rw) continue;  // reads as unavailable
        auto spec = spec_of(b.unit_id, b.device_address, e);
        const auto& owner = owner_of(e.source ? &*e.source : nullptr, b.device);
        if (!owner) continue;  // routed to a part this site does not have: unavailable
        if (auto why = owner->check_point(spec); !why.empty()) {
            diag.add(b.map->file, e.pos.line, e.pos.col, "'" + e.name + "': " + why);
            continue;
        }
        devices::interest_fn interest;
        if (b.device->wants_demand())
            interest = [image = u->image, ref] { return image->last_read(ref); };
        u->subscriptions.push_back(store_->subscribe(
            owner, spec,
            [image = u->image, ref](const core::value& v, std::chrono::steady_clock::time_point t) {
                image->update(ref, v, t);
            },
            std::move(interest)));
        if (spec.writable) points[ref.index].writer = owner;
    }
    return u;
}

}  // namespace vx::modbus
