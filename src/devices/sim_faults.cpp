#include "vxbridge/devices/sim_faults.hpp"

namespace vx::devices {

bool sim_faults::control(const std::string& cmd, const std::string& arg) {
    if (cmd == "silent")
        silent = arg == "on";
    else if (cmd == "drop")
        drop = std::stod(arg);
    else if (cmd == "corrupt")
        corrupt = std::stod(arg);
    else if (cmd == "delay")
        delay = std::chrono::milliseconds(std::stol(arg));
    else
        return false;
    return true;
}

void sim_faults::damage(std::vector<std::uint8_t>& frame, std::mt19937& rng) const {
    std::uniform_real_distribution<double> u(0, 1);
    if (u(rng) < drop && frame.size() > 1) {
        std::uniform_int_distribution<std::size_t> at(0, frame.size() - 2);
        const auto from = at(rng);
        std::uniform_int_distribution<std::size_t> len(1, frame.size() - from - 1);
        frame.erase(frame.begin() + static_cast<std::ptrdiff_t>(from),
                    frame.begin() + static_cast<std::ptrdiff_t>(from + len(rng)));
    }
    if (u(rng) < corrupt && !frame.empty()) frame[frame.size() / 2] ^= 0x5A;
}

}  // namespace vx::devices
