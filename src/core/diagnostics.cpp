#include "vxbridge/core/diagnostics.hpp"

namespace vx::core {

std::string problem::to_string() const {
    std::string s = file;
    if (line > 0) s += ":" + std::to_string(line) + ":" + std::to_string(col);
    return s + ": " + message;
}

void diagnostics::add(std::string file, int line, int col, std::string message) {
    problems_.push_back({std::move(file), line, col, std::move(message)});
}

void diagnostics::merge(const diagnostics& other) {
    problems_.insert(problems_.end(), other.problems_.begin(), other.problems_.end());
}

std::string diagnostics::to_string() const {
    std::string s;
    for (const auto& p : problems_) s += p.to_string() + "\n";
    return s;
}

load_error::load_error(diagnostics d) : std::runtime_error(d.to_string()), diag_(std::move(d)) {}

}  // namespace vx::core
