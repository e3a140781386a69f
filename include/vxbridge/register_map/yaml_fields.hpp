// Strict reading of one YAML mapping: typed fields, unknown keys reported, every problem collected
// with file:line:col. Shared by the map and config loaders (the only TUs that include yaml-cpp).
#pragma once

#include <yaml-cpp/yaml.h>

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vxbridge/core/diagnostics.hpp"

namespace vx::register_map {

class yaml_fields {
  public:
    // Reports a problem if `node` is not a mapping, and every key not in `allowed`.
    yaml_fields(const YAML::Node& node, const std::string& file, core::diagnostics& diag,
                std::span<const std::string_view> allowed, std::string_view what);
    yaml_fields(const YAML::Node& node, const std::string& file, core::diagnostics& diag,
                std::initializer_list<std::string_view> allowed, std::string_view what)
        : yaml_fields(node, file, diag, std::span(allowed.begin(), allowed.size()), what) {}

    bool ok() const { return is_map_; }
    bool has(const char* key) const;
    YAML::Node get(const char* key) const;  // undefined node when absent

    std::optional<std::string> text(const char* key, bool required = false);
    std::optional<double> number(const char* key, bool required = false);
    std::optional<long long> integer(const char* key, long long lo, long long hi,
                                     bool required = false);
    std::optional<bool> boolean(const char* key);
    // One of `choices`; reports the list when the value is something else.
    std::optional<std::string> choice(const char* key,
                                      std::initializer_list<std::string_view> choices);

    void error(const YAML::Node& at, const std::string& message);
    void error(const std::string& message);  // at the mapping itself
    void missing(const char* key);

    const std::string& file() const { return file_; }
    core::diagnostics& diag() { return diag_; }

  private:
    // The mapping's entries, read once: a lookup by key is then a string compare, not
    // yaml-cpp's operator[] (which allocates per call; map loading is most of start-up).
    const YAML::Node* find(const char* key) const;

    YAML::Node node_;
    std::vector<std::pair<std::string, YAML::Node>> entries_;
    const std::string& file_;
    core::diagnostics& diag_;
    std::string what_;
    bool is_map_ = false;
};

// A mapping key as text; "<complex key>" for a key that is itself a mapping or sequence.
std::string key_text(const YAML::Node& key);

// Adds a problem at node's position.
void report(core::diagnostics& d, const std::string& file, const YAML::Node& at,
            const std::string& message);

// Parses a whole file; a syntax error becomes a problem (and a null node).
YAML::Node load_yaml_file(const std::string& file, core::diagnostics& d);

}  // namespace vx::register_map
