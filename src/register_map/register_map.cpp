#include "vxbridge/register_map/register_map.hpp"

namespace vx::register_map {

const register_table& register_map::table(table_kind k) const {
    switch (k) {
        case table_kind::holding:
            return holding;
        case table_kind::input:
            return separate_tables ? input : holding;
        case table_kind::coils:
            return coils;
        case table_kind::discrete_inputs:
            return discrete_inputs;
    }
    return holding;
}

std::vector<std::pair<table_kind, const register_entry*>> register_map::all_entries() const {
    std::vector<std::pair<table_kind, const register_entry*>> out;
    auto add = [&](table_kind k, const register_table& t) {
        for (const auto& e : t.entries) out.emplace_back(k, &e);
    };
    add(table_kind::holding, holding);
    if (separate_tables) add(table_kind::input, input);
    add(table_kind::coils, coils);
    add(table_kind::discrete_inputs, discrete_inputs);
    return out;
}

std::string_view name_of(table_kind k) {
    switch (k) {
        case table_kind::holding:
            return "holding";
        case table_kind::input:
            return "input";
        case table_kind::coils:
            return "coils";
        case table_kind::discrete_inputs:
            return "discrete_inputs";
    }
    return "?";
}

}  // namespace vx::register_map
