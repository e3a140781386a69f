#include "vxbridge/devices/xcom/poll_plan.hpp"

#include <algorithm>

namespace vx::devices::xcom {

using clock = std::chrono::steady_clock;

std::chrono::milliseconds poll_period(const poll_point& p, clock::time_point demand,
                                      clock::time_point now, const poll_timing& t) {
    if (p.poll != core::poll_class::fast) return t.slow;
    const bool idle = demand == clock::time_point::min() ||
                      (demand != clock::time_point::max() && now - demand > t.idle_after);
    return idle ? std::max(t.fast, t.idle) : t.fast;
}

bool poll_due(const poll_point& p, clock::time_point demand, clock::time_point now,
              const poll_timing& t, std::size_t& params) {
    if (p.poll == core::poll_class::once) {
        if (p.once_done || now - p.polled < t.fast) return false;
    } else if (now - p.polled < poll_period(p, demand, now, t)) {
        return false;
    }
    if (!p.info && params++ >= t.param_batch) return false;
    return true;
}

}  // namespace vx::devices::xcom
