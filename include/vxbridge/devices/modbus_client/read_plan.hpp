// What one poll cycle of a Modbus device reads, from its device map: entries grouped into as
// few requests as the device accepts (max_read registers, spanning at most max_gap unlisted
// ones), and the decoding of each reply into points in engineering units. Pure: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "vxbridge/core/value.hpp"
#include "vxbridge/register_map/register_map.hpp"

namespace vx::devices::modbus_client {

struct read_block {
    bool input = false;  // FC4 (input registers), else FC3
    std::uint16_t start = 0;
    std::uint16_t count = 0;
    core::poll_class poll = core::poll_class::normal;  // normal: every cycle; slow; once
    std::vector<const register_map::register_entry*> entries;
};

class read_plan {
  public:
    // `map` must outlive the plan.
    explicit read_plan(const register_map::register_map& map);

    const std::vector<read_block>& blocks() const { return blocks_; }

    // The blocks due in cycle number `cycle` (0 = the first): every-cycle blocks always, slow
    // ones every `slow_every` cycles, once-blocks until they were read (`done_once`).
    std::vector<const read_block*> due(std::uint64_t cycle, unsigned slow_every,
                                       const std::vector<bool>& done_once) const;

    // The points of one block's reply (words.size() == block.count).
    static void decode(const read_block& b, std::span<const std::uint16_t> words,
                       std::map<std::string, core::value>& out);

    // sign_of: each such point takes the sign of its reference (as known in `values`).
    void apply_signs(std::map<std::string, core::value>& values) const;

  private:
    std::vector<read_block> blocks_;
    std::vector<const register_map::register_entry*> signed_;
};

}  // namespace vx::devices::modbus_client
