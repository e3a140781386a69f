#include "vxbridge/register_map/yaml_fields.hpp"

#include <algorithm>
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
    const std::vector<std::string> names(allowed.begin(), allowed.end());
    for (const auto& kv : node) {
        const auto key = key_text(kv.first);
        if (std::find(names.begin(), names.end(), key) == names.end())
            report(diag_, file_, kv.first,
                   "unknown key '" + key + "' in " + what_ + core::did_you_mean(key, names));
    }
}

bool yaml_fields::has(const char* key) const {
    return is_map_ && node_[key].IsDefined();
}

YAML::Node yaml_fields::get(const char* key) const {
    if (!is_map_) return YAML::Node();
    return node_[key];
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
    double v = 0;
    if (!YAML::convert<double>::decode(get(key), v) || !std::isfinite(v)) {
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
    if (!YAML::convert<long long>::decode(get(key), v)) {
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
