// The last writes Modbus clients made, for the commissioning view: who wrote what to which unit
// and register, what the device answered and how long the answer took. A bounded ring, filled by
// the request handler, read from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

namespace vx::modbus {

struct write_record {
    std::uint64_t seq = 0;                     // 1, 2, ... in the order the writes finished
    std::chrono::system_clock::time_point at;  // when the request arrived
    std::string client;                        // "127.0.0.1:40312", "rtu /dev/ttyUSB0"
    std::uint8_t unit = 0;
    std::uint8_t function = 0;
    std::uint16_t address = 0;             // the first register (or coil) written
    std::vector<std::uint16_t> values;     // registers, or 0/1 per coil
    std::uint8_t exception = 0;            // 0: the device confirmed it
    std::chrono::microseconds latency{0};  // request to answer
};

class write_journal {
  public:
    explicit write_journal(std::size_t capacity = 100) : capacity_(capacity) {}

    void record(write_record r);
    // Oldest first.
    std::vector<write_record> recent() const;
    // How many writes were ever recorded (the newest record's seq).
    std::uint64_t count() const;

  private:
    std::size_t capacity_;
    mutable std::mutex mutex_;
    std::deque<write_record> ring_;
    std::uint64_t seq_ = 0;
};

}  // namespace vx::modbus
