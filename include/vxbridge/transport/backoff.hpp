// The one reconnect back-off of the bridge: 0.5 s doubling to 8 s, reset by a success. Used by
// every link that reopens or reconnects and by drivers that retry a silent device.
#pragma once

#include <algorithm>
#include <chrono>

namespace vx::transport {

class backoff {
  public:
    static constexpr std::chrono::milliseconds first{500}, max{8'000};

    // The delay to wait now; the next one is twice as long (at most `max`).
    std::chrono::milliseconds next() {
        const auto d = delay_;
        delay_ = std::min<std::chrono::milliseconds>(delay_ * 2, max);
        return d;
    }
    void reset() { delay_ = first; }

  private:
    std::chrono::milliseconds delay_{first};
};

}  // namespace vx::transport
