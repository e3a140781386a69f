#include "vxbridge/register_map/yaml_fields.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "vxbridge/core/suggest.hpp"

namespace vx::register_map {

void report(core::diagnostics& d, const std::string& file, const YAML::Node& at,
            const std::string& message) {
    const auto m = at.Mark();
    if (m.is_null())
        d.add(file, 0, 0, message);
    else
        d.add(file, m.line + 1, m.column + 1, message);
}

std::string key_text(const YAML::Node& key) {
    return key.IsScalar() ? key.Scalar() : std::string("<complex key>");
}

YAML::Node load_yaml_file(const std::string& file, core::diagnostics& d) {
    try {
        return YAML::LoadFile(file);
    } catch (const YAML::BadFile&) {
        d.add(file, 0, 0, "cannot open file");
    } catch (const YAML::ParserException& e) {
        d.add(file, e.mark.line + 1, e.mark.column + 1, "YAML syntax: " + e.msg);
    }
    return YAML::Node();
}

yaml_fields::yaml_fields(const YAML::Node& node, const std::string& file, core::diagnostics& diag,
                         std::span<const std::string_view> allowed, std::string_view what)
    : node_(node), file_(file), diag_(diag), what_(what) {
    is_map_ = node.IsMap();
    if (!is_map_) {
        report(diag_, file_, node, what_ + " must be a mapping of keys");
        return;
    }
    entries_.reserve(node.size());
    for (const auto& kv : node) {
        auto key = key_text(kv.first);
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            const std::vector<std::string> names(allowed.begin(), allowed.end());
            report(diag_, file_, kv.first,
                   "unknown key '" + key + "' in " + what_ + core::did_you_mean(key, names));
        }
        entries_.emplace_back(std::move(key), kv.second);
    }
}

const YAML::Node* yaml_fields::find(const char* key) const {
    for (const auto& [k, v] : entries_)
        if (k == key) return &v;
    return nullptr;
}

bool yaml_fields::has(const char* key) const {
    return find(key) != nullptr;
}

YAML::Node yaml_fields::get(const char* key) const {
    const auto* n = find(key);
    // Absent: an undefined node, as yaml-cpp's operator[] gives (a default Node is null).
    return n ? *n : YAML::Node(YAML::NodeType::Undefined);
}

void yaml_fields::error(const YAML::Node& at, const std::string& message) {
    report(diag_, file_, at, message);
}

void yaml_fields::error(const std::string& message) {
    report(diag_, file_, node_, message);
}

void yaml_fields::missing(const char* key) {
    error(what_ + " needs '" + key + "'");
}

std::optional<std::string> yaml_fields::text(const char* key, bool required) {
    if (!has(key)) {
        if (required) missing(key);
        return std::nullopt;
    }
    const auto n = get(key);
    if (!n.IsScalar()) {
        error(n, "'" + std::string(key) + "' must be a single value");
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<double> yaml_fields::number(const char* key, bool required) {
    const auto s = text(key, required);
    if (!s) return std::nullopt;
    // Plain decimals without a stream (yaml-cpp's convert builds a stringstream per value);
    // anything else (".5", "1e3" parse here too) through yaml-cpp's rules.
    double v = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    const bool plain = ec == std::errc{} && end == s->data() + s->size();
    if ((!plain && !YAML::convert<double>::decode(get(key), v)) || !std::isfinite(v)) {
        error(get(key), "'" + std::string(key) + "' must be a number, not '" + *s + "'");
        return std::nullopt;
    }
    return v;
}

std::optional<long long> yaml_fields::integer(const char* key, long long lo, long long hi,
                                              bool required) {
    const auto s = text(key, required);
    if (!s) return std::nullopt;
    long long v = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    const bool plain = ec == std::errc{} && end == s->data() + s->size();
    if (!plain && !YAML::convert<long long>::decode(get(key), v)) {
        error(get(key), "'" + std::string(key) + "' must be a whole number, not '" + *s + "'");
        return std::nullopt;
    }
    if (v < lo || v > hi) {
        error(get(key), "'" + std::string(key) + "' must be in " + std::to_string(lo) + ".." +
                            std::to_string(hi) + ", not " + std::to_string(v));
        return std::nullopt;
    }
    return v;
}

std::optional<bool> yaml_fields::boolean(const char* key) {
    const auto s = text(key);
    if (!s) return std::nullopt;
    bool v = false;
    if (!YAML::convert<bool>::decode(get(key), v)) {
        error(get(key), "'" + std::string(key) + "' must be true or false, not '" + *s + "'");
        return std::nullopt;
    }
    return v;
}

std::optional<std::string> yaml_fields::choice(const char* key,
                                               std::initializer_list<std::string_view> choices) {
    const auto s = text(key);
    if (!s) return std::nullopt;
    std::string list;
    for (auto c : choices) {
        if (c == *s) return s;
        list += (list.empty() ? "" : ", ") + std::string(c);
    }
    error(get(key), "'" + std::string(key) + "' must be one of " + list + ", not '" + *s + "'");
    return std::nullopt;
}

}  // namespace vx::register_map
