// The register map model: one device type's Modbus layout as loaded from maps/*.yaml.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vxbridge/core/point.hpp"
#include "vxbridge/register_map/value_type.hpp"

namespace vx::register_map {

enum class table_kind { holding, input, coils, discrete_inputs };
enum class access_mode { r, rw };
// What a read returns while the value is missing or older than max_age (DESIGN.md section 2).
enum class unavailable_mode { sentinel, zero, exception };

struct source_pos {
    int line = 0;  // 1-based; 0 = unknown
    int col = 0;
};

struct register_entry {
    std::string name;
    std::uint16_t address = 0;
    value_type type = value_type::u16;
    unsigned length = 1;  // registers, for string and pad
    double scale = 1.0;   // register = round(value * scale)
    std::string unit;
    access_mode access = access_mode::r;
    std::optional<double> min;  // engineering units
    std::optional<double> max;
    std::map<std::int64_t, std::string> enumeration;
    std::optional<core::point_ref> source;
    bool persist = false;
    unavailable_mode unavailable = unavailable_mode::sentinel;
    core::poll_class poll = core::poll_class::normal;
    std::string description;
    word_order order = word_order::big;
    std::string sign_of;  // device maps: take the sign of this entry's value
    source_pos pos;

    unsigned width() const { return width_of(type, length); }
    unsigned end() const { return address + width(); }  // one past the last register
};

struct register_table {
    std::vector<register_entry> entries;  // sorted by address after loading
};

struct register_map {
    int schema = 1;
    std::string name;
    std::string driver;
    std::string description;
    word_order order = word_order::big;
    double max_age = 30.0;              // seconds; 0 = values never go stale
    bool separate_tables = false;       // holding: and input: given; otherwise FC3 and FC4 share
    bool merge_partial_writes = false;  // partial_writes: merge (GX) or refuse (default)
    unsigned max_read = 125;            // device maps: registers per request the device accepts
    unsigned max_gap = 0;               // device maps: unlisted registers a request may span
    register_table holding;             // also the input table when !separate_tables
    register_table input;
    register_table coils;
    register_table discrete_inputs;
    std::string file;

    const register_table& table(table_kind k) const;
    // Every entry of every table, for checks and listings.
    std::vector<std::pair<table_kind, const register_entry*>> all_entries() const;
};

std::string_view name_of(table_kind k);

}  // namespace vx::register_map
