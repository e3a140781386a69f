// The faults both device simulators inject on command (their stdin control lines): the same
// words and the same effect on the wire for the MK3 and the Xcom simulator.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace vx::devices {

struct sim_faults {
    double drop = 0;                     // probability a reply loses a run of bytes
    double corrupt = 0;                  // probability a reply has a flipped byte
    std::chrono::milliseconds delay{0};  // every reply late by this much, each on its own
    bool silent = false;                 // no replies at all

    // "silent on|off", "drop P", "corrupt P", "delay MS": true when `cmd` is one of them.
    // Throws std::invalid_argument or std::out_of_range on a bad argument.
    bool control(const std::string& cmd, const std::string& arg);
    // What the wire does to one reply: a run of bytes lost (a UART overrun, a noisy line - the
    // receiver must resynchronise on what follows), a flipped byte (a checksum error).
    void damage(std::vector<std::uint8_t>& frame, std::mt19937& rng) const;
};

}  // namespace vx::devices
