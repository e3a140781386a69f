#include "vxbridge/devices/modbus_client/read_plan.hpp"

#include <algorithm>
#include <cmath>

#include "vxbridge/register_map/value_codec.hpp"

namespace vx::devices::modbus_client {

using register_map::register_entry;

namespace {

core::poll_class group_of(const register_entry& e) {
    switch (e.poll) {
        case core::poll_class::slow:
            return core::poll_class::slow;
        case core::poll_class::once:
            return core::poll_class::once;
        default:
            return core::poll_class::normal;  // fast and normal: every cycle
    }
}

void plan_table(const register_map::register_map& m, const register_map::register_table& t,
                bool input, std::vector<read_block>& out) {
    for (const auto group :
         {core::poll_class::normal, core::poll_class::slow, core::poll_class::once}) {
        read_block b;
        b.input = input;
        b.poll = group;
        for (const auto& e : t.entries) {  // sorted by address
            if (group_of(e) != group || e.type == register_map::value_type::pad) continue;
            const unsigned end = b.start + b.count;
            if (!b.entries.empty() && e.address >= end && e.address - end <= m.max_gap &&
                e.end() - b.start <= m.max_read) {
                b.count = static_cast<std::uint16_t>(e.end() - b.start);
                b.entries.push_back(&e);
                continue;
            }
            if (!b.entries.empty()) out.push_back(b);
            b.entries = {&e};
            b.start = e.address;
            b.count = static_cast<std::uint16_t>(e.width());
        }
        if (!b.entries.empty()) out.push_back(b);
    }
}

}  // namespace

read_plan::read_plan(const register_map::register_map& map) {
    // Without separate tables the map's registers are read with FC3 (Carlo Gavazzi answers
    // FC3 and FC4 alike); `input:` entries with FC4 (Eastron).
    plan_table(map, map.holding, false, blocks_);
    plan_table(map, map.input, true, blocks_);
    for (const auto& [kind, e] : map.all_entries())
        if (!e->sign_of.empty()) signed_.push_back(e);
}

std::vector<const read_block*> read_plan::due(std::uint64_t cycle, unsigned slow_every,
                                              const std::vector<bool>& done_once) const {
    std::vector<const read_block*> d;
    for (std::size_t i = 0; i < blocks_.size(); ++i) {
        const auto& b = blocks_[i];
        if (b.poll == core::poll_class::normal ||
            (b.poll == core::poll_class::slow && cycle % std::max(1u, slow_every) == 0) ||
            (b.poll == core::poll_class::once && !(i < done_once.size() && done_once[i])))
            d.push_back(&b);
    }
    return d;
}

void read_plan::decode(const read_block& b, std::span<const std::uint16_t> words,
                       std::map<std::string, core::value>& out) {
    for (const auto* e : b.entries) {
        const std::size_t off = e->address - b.start;
        if (off + e->width() > words.size()) {
            out[e->name] = core::value{};
            continue;
        }
        out[e->name] = register_map::decode(*e, words.subspan(off, e->width()));
    }
}

void read_plan::apply_signs(std::map<std::string, core::value>& values) const {
    for (const auto* e : signed_) {
        const auto it = values.find(e->name);
        const auto ref = values.find(e->sign_of);
        if (it == values.end() || ref == values.end()) continue;
        const auto v = core::as_double(it->second);
        const auto r = core::as_double(ref->second);
        if (!v || !r) continue;
        const double magnitude = std::fabs(*v);
        it->second = *r < 0 ? -magnitude : magnitude;
    }
}

}  // namespace vx::devices::modbus_client
