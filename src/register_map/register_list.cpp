#include "vxbridge/register_map/register_list.hpp"

#include <sstream>

namespace vx::register_map {

namespace {

std::string source_text(const register_entry& e) {
    if (!e.source) return "";
    return e.source->id();
}

std::string enum_text(const register_entry& e) {
    std::string s;
    for (const auto& [k, v] : e.enumeration)
        s += (s.empty() ? "" : "; ") + std::to_string(k) + "=" + v;
    return s;
}

std::string number(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}

std::string csv_field(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

std::string md_field(const std::string& s) {
    std::string o;
    for (char c : s) o += c == '|' ? std::string("\\|") : std::string(1, c);
    return o;
}

}  // namespace

std::string format_register_list(const register_map& map, list_format format) {
    std::ostringstream out;
    const bool md = format == list_format::markdown;
    if (md) {
        out << "# " << map.name << "\n\n";
        if (!map.description.empty()) out << map.description << "\n\n";
        out << "Addresses are 0-based PDU addresses. register = round(value x scale); a write "
               "gives "
               "value = register / scale. Multi-register values: "
            << (map.order == word_order::big ? "high word first" : "low word first") << ".\n\n";
        out << "| table | address | name | type | regs | scale | unit | access | range | enum | "
               "source | description |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    } else {
        out << "table,address,name,type,registers,scale,unit,access,min,max,enum,source,"
               "description\n";
    }
    for (const auto& [table, e] : map.all_entries()) {
        const std::string tname(map.separate_tables || table != table_kind::holding
                                    ? name_of(table)
                                    : std::string_view("holding+input"));
        const std::string access = e->access == access_mode::rw ? "rw" : "r";
        const std::string mn = e->min ? number(*e->min) : "", mx = e->max ? number(*e->max) : "";
        if (md) {
            const std::string range = e->min || e->max ? mn + ".." + mx : "";
            out << "| " << tname << " | " << e->address << " | " << e->name << " | "
                << name_of(e->type) << " | " << e->width() << " | " << number(e->scale) << " | "
                << e->unit << " | " << access << " | " << range << " | " << md_field(enum_text(*e))
                << " | " << md_field(source_text(*e)) << " | " << md_field(e->description)
                << " |\n";
        } else {
            out << tname << "," << e->address << "," << e->name << "," << name_of(e->type) << ","
                << e->width() << "," << number(e->scale) << "," << csv_field(e->unit) << ","
                << access << "," << mn << "," << mx << "," << csv_field(enum_text(*e)) << ","
                << csv_field(source_text(*e)) << "," << csv_field(e->description) << "\n";
        }
    }
    return out.str();
}

}  // namespace vx::register_map
