// A small persistent state file (the ESS settings a restart must keep): a JSON object of
// numbers, written atomically (temp file, fsync, rename, fsync of the directory) so a power cut
// leaves the old file or the new one, never half of one.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace vx::app {

using state_values = std::map<std::string, double>;

// The values in `path`; nullopt when it does not exist (a fresh site) or is damaged - then
// `problem` says why (the caller logs it as a warning and starts from defaults).
std::optional<state_values> load_state(const std::string& path, std::string& problem);

// The values in a state file's text (what load_state parses; the fuzzer's entry).
std::optional<state_values> parse_state(std::string_view text, std::string& problem);

// Writes `values` to `path` atomically, creating its directory if missing; false with `problem`
// on failure (nothing is lost but this write: the old file stays).
bool save_state(const std::string& path, const state_values& values, std::string& problem);

}  // namespace vx::app
