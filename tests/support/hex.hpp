// Test helper: "AA 00 01" -> bytes, as the protocol notes print frames.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace vx::test {

inline std::vector<std::uint8_t> hex(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::uint8_t> out;
    std::string b;
    while (in >> b) out.push_back(static_cast<std::uint8_t>(std::stoul(b, nullptr, 16)));
    return out;
}

}  // namespace vx::test
