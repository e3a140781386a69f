#include "vxbridge/devices/point_store.hpp"

#include <algorithm>

namespace vx::devices {

std::string point_store::key_of(const core::point_spec& spec) {
    if (spec.ref.kind.empty() || spec.ref.kind == "value") return "register " + spec.binding;
    auto key = spec.ref.id();
    if (spec.device_address != 0) key += "@" + std::to_string(spec.device_address);
    return key;
}

core::subscription point_store::subscribe(const std::shared_ptr<device>& dev,
                                          const core::point_spec& spec, value_listener listener,
                                          interest_fn interest) {
    const auto key = key_of(spec);
    entry_ptr e;
    std::uint64_t id = 0;
    bool ask_device = false;
    std::optional<sample> now;
    {
        std::lock_guard lock(mutex_);
        auto& slot = points_[dev->name()][key];
        if (!slot) slot = std::make_shared<entry>();
        e = slot;
        id = next_id_++;
        auto subs = std::make_shared<std::vector<subscriber>>(*e->subs);
        subs->push_back({id, listener, std::move(interest)});
        e->subs = std::move(subs);
        ask_device = !std::exchange(e->fed, true);
        if (!ask_device && core::has_value(e->latest.value)) now = e->latest;
    }
    if (ask_device) {
        // The device sees one subscriber per point: the store, which fans out. Its interest is
        // the latest of every consumer's.
        auto feed_spec = spec;
        std::weak_ptr<point_store> self = weak_from_this();
        std::weak_ptr<entry> weak = e;
        feed_spec.last_read = [self, weak] {
            const auto s = self.lock();
            const auto en = weak.lock();
            return s && en ? s->interest_of(en) : clock::time_point::min();
        };
        dev->subscribe(feed_spec, [self, weak](const core::value& v, clock::time_point t) {
            if (const auto s = self.lock())
                if (const auto en = weak.lock()) s->publish(en, v, t);
        });
    } else if (now) {
        listener(now->value, now->stamp);
    }
    // The token holds the entry, not its name: no strings per subscription, no lookup to drop.
    return core::subscription([self = weak_from_this(), weak = std::weak_ptr<entry>(e), id] {
        if (const auto s = self.lock())
            if (const auto en = weak.lock()) s->unsubscribe(en, id);
    });
}

void point_store::publish(const entry_ptr& e, const core::value& v, clock::time_point stamp) {
    std::shared_ptr<const std::vector<subscriber>> subs;
    {
        std::lock_guard lock(mutex_);
        e->latest = {v, stamp};
        subs = e->subs;
    }
    for (const auto& s : *subs) s.listener(v, stamp);
}

point_store::clock::time_point point_store::interest_of(const entry_ptr& e) const {
    std::shared_ptr<const std::vector<subscriber>> subs;
    {
        std::lock_guard lock(mutex_);
        subs = e->subs;
    }
    auto latest = clock::time_point::min();
    for (const auto& s : *subs) {
        if (!s.interest) return clock::time_point::max();
        latest = std::max(latest, s.interest());
    }
    return latest;
}

void point_store::unsubscribe(const entry_ptr& e, std::uint64_t id) {
    std::lock_guard lock(mutex_);
    auto subs = std::make_shared<std::vector<subscriber>>(*e->subs);
    std::erase_if(*subs, [id](const subscriber& s) { return s.id == id; });
    e->subs = std::move(subs);
}

std::optional<sample> point_store::latest(const std::string& device, const std::string& key) const {
    std::lock_guard lock(mutex_);
    const auto d = points_.find(device);
    if (d == points_.end()) return std::nullopt;
    const auto it = d->second.find(key);
    if (it == d->second.end()) return std::nullopt;
    return it->second->latest;
}

void point_store::forget_feeds(const std::string& device) {
    std::lock_guard lock(mutex_);
    if (const auto d = points_.find(device); d != points_.end())
        for (auto& [key, e] : d->second) e->fed = false;
}

void point_store::drop_device(const std::string& device) {
    std::lock_guard lock(mutex_);
    points_.erase(device);
}

}  // namespace vx::devices
