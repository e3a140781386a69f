// One unit's register image: encoded words for every map entry, updated by device listeners,
// copied by Modbus reads under a short lock (a read never waits for a device; DESIGN.md section 3).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

#include "vxbridge/core/value.hpp"
#include "vxbridge/register_map/register_map.hpp"

namespace vx::register_map {

using clock = std::chrono::steady_clock;

struct entry_ref {
    table_kind table = table_kind::holding;
    std::uint32_t index = 0;
};

enum class read_status { ok, illegal_address, unavailable };

class register_image {
  public:
    explicit register_image(std::shared_ptr<const register_map> map);

    const register_map& map() const { return *map_; }
    const register_entry& entry(entry_ref r) const;
    std::vector<entry_ref> entries() const;
    std::size_t size() const;  // entries().size() without building the list

    // Stores v for the entry; stamp = time_point::max() marks a value that never goes stale.
    void update(entry_ref r, const core::value& v, clock::time_point stamp);

    // Copies `out.size()` registers from `addr`. Starting inside a multi-register value is
    // allowed (returns its remaining words, like a GX); any unmapped register -> illegal_address.
    read_status read_registers(table_kind t, std::uint16_t addr, std::span<std::uint16_t> out,
                               clock::time_point now) const;
    // Bits (coils / discrete inputs), one byte per bit in `out`.
    read_status read_bits(table_kind t, std::uint16_t addr, std::span<std::uint8_t> out,
                          clock::time_point now) const;

    // One entry as a viewer sees it (the web view): the words a read returns now, the value's
    // words whether fresh or not, and when it arrived. Does not count as a client read.
    struct entry_state {
        std::vector<std::uint16_t> served;  // what a read returns now (unavailable form if stale)
        std::vector<std::uint16_t> last;    // the last value's words (its encoded form)
        bool present = false;               // a value ever arrived (constants: always)
        bool fresh = false;                 // within max_age (served == last)
        bool exception = false;             // a read now gets an exception (unavailable mode)
        std::optional<clock::time_point> stamp;  // when it arrived; none for constants / never
    };
    entry_state inspect(entry_ref r, clock::time_point now) const;

    // When a client last read the entry (time_point::min() = never). Recorded only after
    // track_reads(true): it costs a store per entry on the read path, and only drivers with
    // demand-driven polling need it.
    clock::time_point last_read(entry_ref r) const;
    void track_reads(bool on) { track_reads_ = on; }

    // The entry that starts at addr, or nullptr.
    const register_entry* entry_at(table_kind t, std::uint32_t addr,
                                   entry_ref* ref = nullptr) const;
    // The entry that covers addr, or nullptr.
    const register_entry* entry_covering(table_kind t, std::uint32_t addr,
                                         entry_ref* ref = nullptr) const;

  private:
    static constexpr std::uint16_t kNone = 0xFFFF;
    // Per entry: when its value arrived (clock ticks); kNever = no value, kForever = constant.
    // A value is fresh when stamp >= now - max_age: one comparison per entry on the read path.
    using stamp_t = clock::rep;
    static constexpr stamp_t kNever = std::numeric_limits<stamp_t>::min();
    static constexpr stamp_t kForever = std::numeric_limits<stamp_t>::max();
    struct table_image {
        const register_table* table = nullptr;
        std::vector<std::uint16_t> index;      // address -> entry index, kNone for gaps
        std::vector<std::uint16_t> words;      // address -> encoded word (bit tables: 0/1)
        std::vector<std::uint32_t> ends;       // entry index -> one past its last address
        std::vector<stamp_t> stamps;           // entry index -> freshness
        mutable std::vector<stamp_t> read_at;  // entry index -> last client read
        std::vector<std::uint32_t> gaps;       // address -> unmapped addresses before it
        // The oldest stamp of recently read ranges: clients poll the same ranges over and over,
        // and stamps only grow - except when a value goes missing or arrives with an older
        // stamp, which bumps `lowered` and so invalidates every cached range of the table.
        struct range_min {
            std::uint32_t key = 0;  // addr << 8 | count (count < 256); 0 = empty
            std::uint32_t lowered = 0;
            stamp_t oldest = kNever;
        };
        mutable std::array<range_min, 16> ranges{};
        std::uint32_t lowered = 0;
    };

    const table_image& image(table_kind t) const;
    table_image& image(table_kind t) {
        return const_cast<table_image&>(std::as_const(*this).image(t));
    }
    stamp_t fresh_threshold(clock::time_point now) const;
    template <class Word, class Fill>
    read_status read_span(table_kind t, std::uint16_t addr, std::span<Word> out,
                          clock::time_point now, Fill&& fill_missing) const;

    std::shared_ptr<const register_map> map_;
    clock::duration max_age_;
    table_image holding_, input_, coils_, discrete_;
    mutable std::mutex mutex_;
    bool track_reads_ = false;
};

}  // namespace vx::register_map
