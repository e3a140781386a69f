// The Xcom poll plan as pure functions, time passed in (DESIGN.md section 3, "slow links are
// scheduled, not flooded"): infos at the fast rate while a consumer needs them and at the idle
// rate when none has for idle_after (demand-driven polling), parameter values at the slow rate
// and at most a batch of them per pass (so a big map's parameters never hold up the infos), and
// min/max properties once.
#pragma once

#include <chrono>
#include <cstddef>

#include "vxbridge/core/point.hpp"

namespace vx::devices::xcom {

struct poll_timing {
    std::chrono::milliseconds fast{2'000}, slow{60'000};
    std::chrono::milliseconds idle_after{120'000}, idle{30'000};
    std::size_t param_batch = 16;  // parameter reads per pass at most
};

// What the plan knows of one point.
struct poll_point {
    bool info = true;                                // an info (else a parameter property)
    core::poll_class poll = core::poll_class::fast;  // once: min/max, read once
    std::chrono::steady_clock::time_point polled{};  // last read (epoch: never)
    bool once_done = false;                          // a `once` point that was read
};

// How often the point is read now. `demand`: when a consumer last needed it (time_point::min():
// never; max(): always); without demand tracking pass time_point::max().
std::chrono::milliseconds poll_period(const poll_point& p,
                                      std::chrono::steady_clock::time_point demand,
                                      std::chrono::steady_clock::time_point now,
                                      const poll_timing& t);

// Whether the point is read in the pass starting `now`; `params` counts the parameters this pass
// has taken so far (a due parameter beyond the batch waits for the next pass).
bool poll_due(const poll_point& p, std::chrono::steady_clock::time_point demand,
              std::chrono::steady_clock::time_point now, const poll_timing& t, std::size_t& params);

}  // namespace vx::devices::xcom
