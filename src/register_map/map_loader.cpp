#include "vxbridge/register_map/map_loader.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "vxbridge/core/suggest.hpp"
#include "vxbridge/register_map/yaml_fields.hpp"

namespace vx::register_map {

namespace {

constexpr std::string_view kMapKeys[] = {
    "schema",          "name",        "driver",         "description", "word_order",
    "max_age",         "registers",   "holding",        "input",       "coils",
    "discrete_inputs", "unavailable", "partial_writes", "max_read",    "max_gap"};
constexpr std::string_view kRegisterKeys[] = {
    "name",        "address", "type",        "length",     "scale",  "unit",
    "access",      "min",     "max",         "enum",       "source", "persist",
    "unavailable", "poll",    "description", "word_order", "sign_of"};
constexpr std::string_view kBitKeys[] = {"name",    "address",     "type", "access",     "source",
                                         "persist", "unavailable", "poll", "description"};

// Names become CSV columns and log words: letters, digits, '_' and '.', not starting with a digit.
bool valid_name(const std::string& n) {
    if (n.empty() || std::isdigit(static_cast<unsigned char>(n[0]))) return false;
    for (char c : n)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
    return true;
}

struct map_context {
    const std::string& file;
    core::diagnostics& diag;
    word_order order;
    unavailable_mode unavailable;
};

std::optional<core::point_ref> read_source(yaml_fields& f) {
    const auto n = f.get("source");
    if (!n.IsDefined()) return std::nullopt;
    if (!n.IsMap() || n.size() == 0) {
        f.error(
            n,
            "'source' must be a mapping naming a point of the device, e.g. {vebus: bat_v} (driver "
            "vebus), {info: 3000} or {param: 1107} (xcom), {value: 0} (any driver), "
            "{bridge: utc_seconds} (the bridge's own)");
        return std::nullopt;
    }
    core::point_ref ref;
    bool first = true;
    for (const auto& kv : n) {
        if (!kv.second.IsScalar()) {
            f.error(kv.second, "source '" + key_text(kv.first) + "' must be a single value");
            return std::nullopt;
        }
        if (first) {
            ref.kind = key_text(kv.first);
            ref.key = kv.second.Scalar();
            first = false;
        } else {
            ref.options.emplace_back(key_text(kv.first), kv.second.Scalar());
        }
    }
    return ref;
}

void read_enum(yaml_fields& f, register_entry& e) {
    const auto n = f.get("enum");
    if (!n.IsDefined()) return;
    if (!n.IsMap()) {
        f.error(n, "'enum' must map numbers to names, e.g. {0: off, 1: on}");
        return;
    }
    for (const auto& kv : n) {
        long long k = 0;
        if (!YAML::convert<long long>::decode(kv.first, k)) {
            f.error(kv.first, "enum key '" + kv.first.Scalar() + "' is not a whole number");
            continue;
        }
        e.enumeration[k] = kv.second.IsScalar() ? kv.second.Scalar() : std::string();
    }
}

// Key/type legality and ranges that must fit the type (the per-type table of STYLE.md #10).
void check_entry(yaml_fields& f, const register_entry& e) {
    const bool numeric = is_numeric(e.type);
    const bool sized = e.type == value_type::string || e.type == value_type::pad;
    if (sized && !f.has("length")) f.missing("length");
    if (!sized && f.has("length")) f.error(f.get("length"), "'length' is only for string and pad");
    if (!numeric && f.has("scale")) f.error(f.get("scale"), "'scale' needs a numeric type");
    if (!numeric && (f.has("min") || f.has("max")))
        f.error("'min'/'max' need a numeric type, not " + std::string(name_of(e.type)));
    if (!is_integer(e.type) && f.has("enum"))
        f.error(f.get("enum"), "'enum' needs an integer type");
    if (e.type == value_type::pad) {
        if (e.access == access_mode::rw) f.error(f.get("access"), "pad registers are read-only");
        if (f.has("source")) f.error(f.get("source"), "pad registers have no source");
    }
    if (e.persist && e.access != access_mode::rw)
        f.error(f.get("persist"), "'persist' is only meaningful with access: rw");
    if (e.scale == 0.0) f.error(f.get("scale"), "'scale' must not be 0");
    if (e.min && e.max && *e.min > *e.max) f.error(f.get("min"), "'min' is greater than 'max'");
    if (const auto r = usable_range(e.type)) {
        auto fits = [&](double v) {
            const double x = std::round(v * e.scale);
            return x >= r->lo && x <= r->hi;
        };
        if (e.min && !fits(*e.min))
            f.error(f.get("min"), "'min' does not fit " + std::string(name_of(e.type)) +
                                      " at scale " + core::to_string(e.scale));
        if (e.max && !fits(*e.max))
            f.error(f.get("max"), "'max' does not fit " + std::string(name_of(e.type)) +
                                      " at scale " + core::to_string(e.scale));
        for (const auto& [k, name] : e.enumeration)
            if (!fits(static_cast<double>(k)))
                f.error(f.get("enum"), "enum value " + std::to_string(k) + " does not fit " +
                                           std::string(name_of(e.type)));
    }
    if (e.address + e.width() > 65536)
        f.error(f.get("address"), "'" + e.name + "' runs past register 65535");
}

template <class T>
void parse_choice(yaml_fields& f, const char* key, T& out,
                  std::initializer_list<std::pair<std::string_view, T>> table) {
    const auto s = f.text(key);
    if (!s) return;
    for (const auto& [n, t] : table)
        if (n == *s) {
            out = t;
            return;
        }
    std::string list;
    for (const auto& [n, t] : table) list += (list.empty() ? "" : ", ") + std::string(n);
    f.error(f.get(key), "'" + std::string(key) + "' must be one of " + list + ", not '" + *s + "'");
}

std::optional<register_entry> read_entry(const YAML::Node& n, map_context& ctx, bool bits) {
    yaml_fields f(n, ctx.file, ctx.diag,
                  bits ? std::span<const std::string_view>(kBitKeys)
                       : std::span<const std::string_view>(kRegisterKeys),
                  bits ? "a bit entry" : "a register entry");
    if (!f.ok()) return std::nullopt;
    register_entry e;
    e.pos = {n.Mark().line + 1, n.Mark().column + 1};
    e.order = ctx.order;
    e.unavailable = ctx.unavailable;
    if (auto s = f.text("name", true)) {
        e.name = *s;
        if (!valid_name(e.name))
            f.error(f.get("name"), "name '" + e.name + "' must be letters, digits, _ and .");
    }
    if (auto a = f.integer("address", 0, 65535, true)) e.address = static_cast<std::uint16_t>(*a);
    if (bits) {
        e.type = value_type::bit;
        if (auto t = f.text("type"); t && *t != "bit")
            f.error(f.get("type"), "coils and discrete inputs are of type bit");
    } else if (auto t = f.text("type", true)) {
        if (auto vt = parse_value_type(*t); vt && *vt != value_type::bit)
            e.type = *vt;
        else
            f.error(f.get("type"),
                    "unknown type '" + *t + "' (u16 i16 u32 i32 u64 i64 f32 f64 string pad)");
    }
    if (auto l = f.integer("length", 1, 125)) e.length = static_cast<unsigned>(*l);
    if (auto s = f.number("scale")) e.scale = *s;
    if (auto u = f.text("unit")) e.unit = *u;
    parse_choice(f, "access", e.access, {{"r", access_mode::r}, {"rw", access_mode::rw}});
    e.min = f.number("min");
    e.max = f.number("max");
    read_enum(f, e);
    e.source = read_source(f);
    e.persist = f.boolean("persist").value_or(false);
    parse_choice(f, "unavailable", e.unavailable,
                 {{"sentinel", unavailable_mode::sentinel},
                  {"zero", unavailable_mode::zero},
                  {"exception", unavailable_mode::exception}});
    parse_choice(f, "poll", e.poll,
                 {{"fast", core::poll_class::fast},
                  {"normal", core::poll_class::normal},
                  {"slow", core::poll_class::slow},
                  {"once", core::poll_class::once}});
    if (auto d = f.text("description")) e.description = *d;
    parse_choice(f, "word_order", e.order,
                 {{"big", word_order::big}, {"little", word_order::little}});
    if (auto s = f.text("sign_of")) e.sign_of = *s;
    check_entry(f, e);
    return e;
}

void read_table(const YAML::Node& n, map_context& ctx, register_table& table, bool bits,
                const char* key) {
    if (!n.IsDefined()) return;
    if (!n.IsSequence()) {
        report(ctx.diag, ctx.file, n, std::string("'") + key + "' must be a list of entries");
        return;
    }
    for (const auto& item : n)
        if (auto e = read_entry(item, ctx, bits)) table.entries.push_back(std::move(*e));
    auto& v = table.entries;
    std::stable_sort(v.begin(), v.end(),
                     [](const auto& a, const auto& b) { return a.address < b.address; });
    for (std::size_t i = 1; i < v.size(); ++i)
        if (v[i].address < v[i - 1].end())
            ctx.diag.add(ctx.file, v[i].pos.line, v[i].pos.col,
                         "'" + v[i].name + "' at " + std::to_string(v[i].address) + " overlaps '" +
                             v[i - 1].name + "' (" + std::to_string(v[i - 1].address) + ".." +
                             std::to_string(v[i - 1].end() - 1) + ") in " + key);
}

void check_names(const register_map& m, core::diagnostics& diag) {
    std::map<std::string, const register_entry*> seen;
    for (const auto& [kind, e] : m.all_entries()) {
        auto [it, fresh] = seen.emplace(e->name, e);
        if (!fresh && !e->name.empty())
            diag.add(m.file, e->pos.line, e->pos.col,
                     "duplicate name '" + e->name + "' (first at line " +
                         std::to_string(it->second->pos.line) + ")");
    }
    // sign_of (device maps): the entry takes the sign of another numeric entry of the map, as
    // a Carlo Gavazzi EM24's unsigned currents take their phase power's.
    for (const auto& [kind, e] : m.all_entries()) {
        if (e->sign_of.empty()) continue;
        const auto it = seen.find(e->sign_of);
        if (it == seen.end())
            diag.add(m.file, e->pos.line, e->pos.col,
                     "'" + e->name + "': sign_of names no entry '" + e->sign_of + "'" +
                         core::did_you_mean(e->sign_of, [&] {
                             std::vector<std::string> n;
                             for (const auto& [k, v] : seen) n.push_back(k);
                             return n;
                         }()));
        else if (!is_numeric(it->second->type) || !is_numeric(e->type) || it->second == e)
            diag.add(m.file, e->pos.line, e->pos.col,
                     "'" + e->name + "': sign_of needs two different numeric entries");
    }
}

}  // namespace

std::shared_ptr<const register_map> load_map(const std::string& file, core::diagnostics& diag) {
    core::diagnostics local;
    const auto root = load_yaml_file(file, local);
    auto m = std::make_shared<register_map>();
    m->file = file;
    if (local.empty()) try {
            yaml_fields f(root, file, local, kMapKeys, "a map");
            if (f.ok()) {
                if (auto s = f.integer("schema", 1, 1, true)) m->schema = static_cast<int>(*s);
                if (auto s = f.text("name", true)) m->name = *s;
                if (auto s = f.text("driver", true)) m->driver = *s;
                if (auto s = f.text("description")) m->description = *s;
                parse_choice(f, "word_order", m->order,
                             {{"big", word_order::big}, {"little", word_order::little}});
                if (auto a = f.number("max_age")) {
                    if (*a < 0) f.error(f.get("max_age"), "'max_age' must be >= 0 seconds");
                    m->max_age = *a;
                }
                // Map-wide default for entries that do not say (a GX reads absent values as 0).
                auto unavailable = unavailable_mode::sentinel;
                parse_choice(f, "unavailable", unavailable,
                             {{"sentinel", unavailable_mode::sentinel},
                              {"zero", unavailable_mode::zero},
                              {"exception", unavailable_mode::exception}});
                // A write covering part of a 32/64-bit value: refused (0x02), or merged with the
                // value's other words as a GX does (protocols/vebus-mk3-and-gx.md section 3.1).
                parse_choice(f, "partial_writes", m->merge_partial_writes,
                             {{"refuse", false}, {"merge", true}});
                // Registers one request may read (device maps: an EM24 answers at most 11).
                if (auto r = f.integer("max_read", 1, 125)) m->max_read = static_cast<unsigned>(*r);
                // Unlisted registers one request may read across to join two entries (only
                // where the device answers for them: Eastron does, a gap may be an exception).
                if (auto g = f.integer("max_gap", 0, 124)) m->max_gap = static_cast<unsigned>(*g);
                map_context ctx{file, local, m->order, unavailable};
                m->separate_tables = f.has("holding") || f.has("input");
                if (m->separate_tables && f.has("registers"))
                    f.error(f.get("registers"),
                            "give either 'registers' or 'holding'/'input', not both");
                if (!f.has("registers") && !m->separate_tables && !f.has("coils") &&
                    !f.has("discrete_inputs"))
                    f.error(
                        "a map needs 'registers' (or 'holding'/'input', 'coils', "
                        "'discrete_inputs')");
                read_table(f.get(m->separate_tables ? "holding" : "registers"), ctx, m->holding,
                           false, m->separate_tables ? "holding" : "registers");
                read_table(f.get("input"), ctx, m->input, false, "input");
                read_table(f.get("coils"), ctx, m->coils, true, "coils");
                read_table(f.get("discrete_inputs"), ctx, m->discrete_inputs, true,
                           "discrete_inputs");
                check_names(*m, local);
            }
        } catch (const YAML::Exception& e) {  // found by fuzz_loaders: never let yaml-cpp throw out
            local.add(file, e.mark.line + 1, e.mark.column + 1, "YAML: " + e.msg);
        }
    if (!local.empty()) {
        diag.merge(local);
        return nullptr;
    }
    return m;
}

std::shared_ptr<const register_map> load_map_or_throw(const std::string& file) {
    core::diagnostics d;
    auto m = load_map(file, d);
    if (!m) throw core::load_error(std::move(d));
    return m;
}

}  // namespace vx::register_map
