#include "vxbridge/core/suggest.hpp"

#include <algorithm>
#include <cctype>

namespace vx::core {

namespace {

char lower(char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

// Optimal string alignment distance, case-insensitive.
std::size_t distance(std::string_view a, std::string_view b) {
    const std::size_t n = a.size(), m = b.size();
    std::vector<std::size_t> d((n + 1) * (m + 1));
    auto at = [&](std::size_t i, std::size_t j) -> std::size_t& { return d[i * (m + 1) + j]; };
    for (std::size_t i = 0; i <= n; ++i) at(i, 0) = i;
    for (std::size_t j = 0; j <= m; ++j) at(0, j) = j;
    for (std::size_t i = 1; i <= n; ++i)
        for (std::size_t j = 1; j <= m; ++j) {
            const std::size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
            at(i, j) = std::min({at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost});
            if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
                lower(a[i - 2]) == lower(b[j - 1]))
                at(i, j) = std::min(at(i, j), at(i - 2, j - 2) + 1);
        }
    return at(n, m);
}

}  // namespace

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
    const std::size_t allowed = word.size() <= 4 ? 1 : word.size() / 3;
    std::string best;
    std::size_t best_d = allowed + 1;
    for (const auto& c : candidates) {
        if (c == word) continue;
        const auto dist = distance(word, c);
        if (dist < best_d) {
            best_d = dist;
            best = c;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    const auto m = closest_match(word, candidates);
    return m.empty() ? std::string{} : " (did you mean '" + m + "'?)";
}

std::string list_names(const std::vector<std::string>& names, std::size_t limit) {
    std::string s;
    for (std::size_t i = 0; i < names.size() && i < limit; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > limit) s += ", ... (" + std::to_string(names.size()) + " in all)";
    return s;
}

}  // namespace vx::core
