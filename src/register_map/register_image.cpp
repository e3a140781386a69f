#include "vxbridge/register_map/register_image.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "vxbridge/register_map/value_codec.hpp"

namespace vx::register_map {

namespace {
constexpr unsigned kMaxWidth = 128;  // the loader caps string/pad length at 125
}  // namespace

register_image::register_image(std::shared_ptr<const register_map> map)
    : map_(std::move(map)),
      max_age_(std::chrono::duration_cast<clock::duration>(
          std::chrono::duration<double>(map_->max_age))) {
    auto init = [](table_image& ti, const register_table& t) {
        ti.table = &t;
        unsigned end = 0;
        for (const auto& e : t.entries) end = std::max(end, e.end());
        ti.index.assign(end, kNone);
        ti.words.assign(end, 0);
        ti.ends.resize(t.entries.size());
        ti.stamps.assign(t.entries.size(), kNever);
        ti.read_at.assign(t.entries.size(), kNever);
        for (std::size_t i = 0; i < t.entries.size(); ++i) {
            const auto& e = t.entries[i];
            ti.ends[i] = e.end();
            for (unsigned a = e.address; a < e.end(); ++a)
                ti.index[a] = static_cast<std::uint16_t>(i);
            // Until a value arrives an entry reads as unavailable; pad always reads 0xFFFF.
            encode_unavailable(e, std::span(ti.words).subspan(e.address, e.width()));
            if (e.type == value_type::pad) ti.stamps[i] = kForever;
        }
        ti.gaps.assign(end + 1, 0);
        for (unsigned a = 0; a < end; ++a) ti.gaps[a + 1] = ti.gaps[a] + (ti.index[a] == kNone);
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

std::size_t register_image::size() const {
    return map_->holding.entries.size() + (map_->separate_tables ? map_->input.entries.size() : 0) +
           map_->coils.entries.size() + map_->discrete_inputs.entries.size();
}

void register_image::update(entry_ref r, const core::value& v, clock::time_point stamp) {
    auto& ti = image(r.table);
    const auto& e = ti.table->entries[r.index];
    std::uint16_t buf[kMaxWidth];
    const auto w = std::min<unsigned>(e.width(), kMaxWidth);
    auto words = std::span(buf, w);
    const bool present = encode(e, v, words) != encode_status::unavailable;
    const stamp_t st = !present                            ? kNever
                       : stamp == clock::time_point::max() ? kForever
                                                           : stamp.time_since_epoch().count();
    std::lock_guard lock(mutex_);
    std::copy(words.begin(), words.end(), ti.words.begin() + e.address);
    if (st < ti.stamps[r.index]) ++ti.lowered;
    ti.stamps[r.index] = st;
}

register_image::stamp_t register_image::fresh_threshold(clock::time_point now) const {
    if (max_age_ == clock::duration::zero()) return kNever + 1;  // any value is fresh
    return (now - max_age_).time_since_epoch().count();
}

template <class Word, class Fill>
read_status register_image::read_span(table_kind t, std::uint16_t addr, std::span<Word> out,
                                      clock::time_point now, Fill&& fill_missing) const {
    const auto& ti = image(t);
    const std::size_t end = std::size_t{addr} + out.size();
    if (end > ti.index.size()) return read_status::illegal_address;
    const stamp_t threshold = fresh_threshold(now);
    auto status = read_status::ok;
    // The per-request hot loop (bench/callgrind.sh): the tables' storage in locals, so the
    // compiler need not reload it after every store into `out`.
    const std::uint16_t* index = ti.index.data();
    const std::uint32_t* ends = ti.ends.data();
    const stamp_t* stamps = ti.stamps.data();
    const std::uint16_t* words = ti.words.data();
    stamp_t* read_at = track_reads_ ? ti.read_at.data() : nullptr;
    const stamp_t read_now = now.time_since_epoch().count();
    // Fast path, the common case of a poll: no gap in the range and every entry fresh - one
    // pass over the entries' stamps, then one copy of the words. The loader keeps entries in
    // address order, so the range's entries are index[addr] .. index[end - 1].

    if (end > addr && ti.gaps[end] == ti.gaps[addr]) {
        const std::size_t first = index[addr], last = index[end - 1];
        const auto key =
            static_cast<std::uint32_t>(addr) << 8 | static_cast<std::uint32_t>(out.size());
        auto& cached = ti.ranges[(addr ^ out.size()) % ti.ranges.size()];
        std::lock_guard lock(mutex_);
        bool fresh = out.size() < 256 && cached.key == key && cached.lowered == ti.lowered &&
                     cached.oldest >= threshold;
        if (!fresh) {
            stamp_t oldest = kForever;
            for (std::size_t i = first; i <= last; ++i) oldest = std::min(oldest, stamps[i]);
            fresh = oldest >= threshold;
            if (out.size() < 256) cached = {key, ti.lowered, oldest};
        }
        if (fresh) {
            if (read_at) std::fill(read_at + first, read_at + last + 1, read_now);
            std::transform(words + addr, words + end, out.data(),
                           [](std::uint16_t w) { return static_cast<Word>(w); });
            return status;
        }
    }
    std::lock_guard lock(mutex_);
    for (std::size_t a = addr; a < end;) {
        const auto idx = index[a];
        if (idx == kNone) return read_status::illegal_address;
        const std::size_t stop = std::min<std::size_t>(ends[idx], end);
        Word* dst = out.data() + (a - addr);
        if (read_at) read_at[idx] = read_now;
        if (stamps[idx] >= threshold) {
            for (std::size_t k = a; k < stop; ++k) *dst++ = static_cast<Word>(words[k]);
            a = stop;
            continue;
        }
        const auto& e = ti.table->entries[idx];
        if (e.unavailable == unavailable_mode::exception) status = read_status::unavailable;
        fill_missing(e, a - e.address, std::span(dst, stop - a));
        a = stop;
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

register_image::entry_state register_image::inspect(entry_ref r, clock::time_point now) const {
    const auto& ti = image(r.table);
    const auto& e = ti.table->entries[r.index];
    entry_state out;
    stamp_t st = kNever;
    {
        std::lock_guard lock(mutex_);
        out.last.assign(ti.words.begin() + e.address, ti.words.begin() + e.end());
        st = ti.stamps[r.index];
    }
    out.present = st != kNever;
    out.fresh = out.present && st >= fresh_threshold(now);
    if (out.present && st != kForever) out.stamp = clock::time_point(clock::duration(st));
    out.served = out.last;
    if (!out.fresh) {
        if (r.table == table_kind::coils || r.table == table_kind::discrete_inputs)
            std::fill(out.served.begin(), out.served.end(), std::uint16_t{0});
        else
            encode_unavailable(e, out.served);
        out.exception = e.unavailable == unavailable_mode::exception;
    }
    return out;
}

clock::time_point register_image::last_read(entry_ref r) const {
    const auto& ti = image(r.table);
    std::lock_guard lock(mutex_);
    const auto s = ti.read_at[r.index];
    return s == kNever ? clock::time_point::min() : clock::time_point(clock::duration(s));
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
