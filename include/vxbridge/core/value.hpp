// Engineering values as devices produce them and register maps encode them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace vx::core {

// monostate = no value (missing, invalid, never read).
using value = std::variant<std::monostate, double, std::int64_t, std::string>;

inline bool has_value(const value& v) {
    return !std::holds_alternative<std::monostate>(v);
}

// The numeric reading of v; nullopt for strings and missing values.
std::optional<double> as_double(const value& v);

// Human-readable form for logs and the CLI ("-" when missing).
std::string to_string(const value& v);

}  // namespace vx::core
