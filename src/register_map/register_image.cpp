#include "vxbridge/register_map/register_image.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "vxbridge/register_map/value_codec.hpp"

namespace vx::register_map {

namespace {

constexpr unsigned kMaxWidth = 128;  // the loader caps string/pad length at 125

void build(const register_table* t, std::vector<std::uint16_t>& index,
           std::vector<std::uint16_t>& words, std::size_t& slots) {
    unsigned end = 0;
    for (const auto& e : t->entries) end = std::max(end, e.end());
    index.assign(end, 0xFFFF);
    words.assign(end, 0);
    for (std::size_t i = 0; i < t->entries.size(); ++i) {
        const auto& e = t->entries[i];
        for (unsigned a = e.address; a < e.end(); ++a) index[a] = static_cast<std::uint16_t>(i);
        // Until a value arrives an entry reads as unavailable.
        encode_unavailable(e, std::span(words).subspan(e.address, e.width()));
    }
    slots = t->entries.size();
}

}  // namespace

register_image::register_image(std::shared_ptr<const register_map> map)
    : map_(std::move(map)),
      max_age_(std::chrono::duration_cast<clock::duration>(
          std::chrono::duration<double>(map_->max_age))) {
    auto init = [](table_image& ti, const register_table& t) {
        ti.table = &t;
        std::size_t n = 0;
        build(&t, ti.index, ti.words, n);
        ti.slots.assign(n, slot{});
    };
    init(holding_, map_->holding);
    if (map_->separate_tables) init(input_, map_->input);
    init(coils_, map_->coils);
    init(discrete_, map_->discrete_inputs);
}

const register_image::table_image& register_image::image(table_kind t) const {
    switch (t) {
        case table_kind::holding:
            return holding_;
        case table_kind::input:
            return map_->separate_tables ? input_ : holding_;
        case table_kind::coils:
            return coils_;
        case table_kind::discrete_inputs:
            return discrete_;
    }
    return holding_;
}

const register_entry& register_image::entry(entry_ref r) const {
    return image(r.table).table->entries[r.index];
}

std::vector<entry_ref> register_image::entries() const {
    std::vector<entry_ref> out;
    for (auto t :
         {table_kind::holding, table_kind::input, table_kind::coils, table_kind::discrete_inputs}) {
        if (t == table_kind::input && !map_->separate_tables) continue;
        const auto n = image(t).table->entries.size();
        for (std::uint32_t i = 0; i < n; ++i) out.push_back({t, i});
    }
    return out;
}

void register_image::update(entry_ref r, const core::value& v, clock::time_point stamp) {
    auto& ti = image(r.table);
    const auto& e = ti.table->entries[r.index];
    std::uint16_t buf[kMaxWidth];
    const auto w = std::min<unsigned>(e.width(), kMaxWidth);
    auto words = std::span(buf, w);
    const bool present = encode(e, v, words) != encode_status::unavailable;
    std::lock_guard lock(mutex_);
    std::copy(words.begin(), words.end(), ti.words.begin() + e.address);
    ti.slots[r.index] = {stamp, present};
}

bool register_image::fresh(const slot& s, clock::time_point now) const {
    if (!s.has_value) return false;
    if (max_age_ == clock::duration::zero() || s.stamp == clock::time_point::max()) return true;
    return now - s.stamp <= max_age_;
}

template <class Word, class Fill>
read_status register_image::read_span(table_kind t, std::uint16_t addr, std::span<Word> out,
                                      clock::time_point now, Fill&& fill_missing) const {
    const auto& ti = image(t);
    const std::size_t end = std::size_t{addr} + out.size();
    if (end > ti.index.size()) return read_status::illegal_address;
    for (std::size_t a = addr; a < end; ++a)
        if (ti.index[a] == kNone) return read_status::illegal_address;

    auto status = read_status::ok;
    std::lock_guard lock(mutex_);
    for (std::size_t a = addr; a < end;) {
        const auto idx = ti.index[a];
        const auto& e = ti.table->entries[idx];
        const std::size_t n = std::min<std::size_t>(e.end(), end) - a;
        auto dst = out.subspan(a - addr, n);
        if (fresh(ti.slots[idx], now) || e.type == value_type::pad) {
            std::copy_n(ti.words.begin() + static_cast<std::ptrdiff_t>(a), n, dst.begin());
        } else {
            if (e.unavailable == unavailable_mode::exception) status = read_status::unavailable;
            fill_missing(e, a - e.address, dst);
        }
        a += n;
    }
    return status;
}

read_status register_image::read_registers(table_kind t, std::uint16_t addr,
                                           std::span<std::uint16_t> out,
                                           clock::time_point now) const {
    return read_span(t, addr, out, now,
                     [](const register_entry& e, std::size_t skip, std::span<std::uint16_t> dst) {
                         std::uint16_t buf[kMaxWidth];
                         auto words = std::span(buf, std::min<unsigned>(e.width(), kMaxWidth));
                         encode_unavailable(e, words);
                         std::copy_n(words.begin() + static_cast<std::ptrdiff_t>(skip), dst.size(),
                                     dst.begin());
                     });
}

read_status register_image::read_bits(table_kind t, std::uint16_t addr, std::span<std::uint8_t> out,
                                      clock::time_point now) const {
    const auto& ti = image(t);
    const std::size_t end = std::size_t{addr} + out.size();
    if (end > ti.index.size()) return read_status::illegal_address;
    std::vector<std::uint16_t> words(out.size());
    const auto st = read_span(t, addr, std::span(words), now,
                              [](const register_entry&, std::size_t, std::span<std::uint16_t> d) {
                                  std::fill(d.begin(), d.end(), std::uint16_t{0});
                              });
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = words[i] ? 1 : 0;
    return st;
}

const register_entry* register_image::entry_covering(table_kind t, std::uint32_t addr,
                                                     entry_ref* ref) const {
    const auto& ti = image(t);
    if (addr >= ti.index.size() || ti.index[addr] == kNone) return nullptr;
    if (ref) *ref = {t, ti.index[addr]};
    return &ti.table->entries[ti.index[addr]];
}

const register_entry* register_image::entry_at(table_kind t, std::uint32_t addr,
                                               entry_ref* ref) const {
    const auto* e = entry_covering(t, addr, ref);
    return e && e->address == addr ? e : nullptr;
}

}  // namespace vx::register_map
