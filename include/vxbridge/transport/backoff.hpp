// The one reconnect back-off of the bridge: 0.5 s doubling to 8 s, reset by a success. Used by
// every link that reopens or reconnects and by drivers that retry a silent device.
#pragma once

#include <algorithm>
#include <chrono>

namespace vx::transport {

class backoff {
  public:
    backoff() = default;
    backoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
        : first_(first), max_(max), delay_(first) {}

    // The delay to wait now; the next one is twice as long (at most the maximum).
    std::chrono::milliseconds next() {
        const auto d = delay_;
        delay_ = std::min<std::chrono::milliseconds>(delay_ * 2, max_);
        return d;
    }
    void reset() { delay_ = first_; }

  private:
    std::chrono::milliseconds first_{500}, max_{8'000};
    std::chrono::milliseconds delay_{first_};
};

}  // namespace vx::transport
