// "Did you mean": the closest of a set of known names to a misspelt one (config keys, driver
// source names), for error messages a person can act on.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace vx::core {

// The candidate closest to `word` by edit distance (insert, delete, substitute, swap of two
// neighbours), if it is close enough to be a plausible typo: at most 1 edit for words of up to
// 4 characters, else at most a third of the word's length. Empty when none is.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" - ready to append to a message.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c" (at most `limit` names, then ", ... (N in all)").
std::string list_names(const std::vector<std::string>& names, std::size_t limit = 40);

}  // namespace vx::core
