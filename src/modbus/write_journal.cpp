#include "vxbridge/modbus/write_journal.hpp"

namespace vx::modbus {

void write_journal::record(write_record r) {
    const std::lock_guard lock(mutex_);
    r.seq = ++seq_;
    ring_.push_back(std::move(r));
    while (ring_.size() > capacity_) ring_.pop_front();
}

std::vector<write_record> write_journal::recent() const {
    const std::lock_guard lock(mutex_);
    return {ring_.begin(), ring_.end()};
}

std::uint64_t write_journal::count() const {
    const std::lock_guard lock(mutex_);
    return seq_;
}

}  // namespace vx::modbus
