// The driver skeleton's "is the device answering" state, shared by every driver: a device is
// online once it answered and stays so until `offline_after` passes without a good exchange or
// its link goes down. Pure (time passed in); the atomic lets Modbus sessions read it while the
// driver's strand updates it.
#pragma once

#include <atomic>
#include <chrono>

namespace vx::devices {

class online_state {
  public:
    using clock = std::chrono::steady_clock;

    explicit online_state(clock::duration offline_after) : offline_after_(offline_after) {}

    // A good exchange at `now`.
    void answered(clock::time_point now) { last_good_ = now; }

    // Re-evaluates at `now` with the link `connected` or not; true when the state changed (the
    // driver logs the change once).
    bool update(clock::time_point now, bool connected) {
        const bool up =
            connected && last_good_ != clock::time_point{} && now - last_good_ < offline_after_;
        return up_.exchange(up) != up;
    }

    // Forces the state (a driver that knows better: it stopped, or initialised just now).
    bool set(bool up) { return up_.exchange(up) != up; }

    bool up() const { return up_; }
    clock::time_point last_good() const { return last_good_; }

  private:
    clock::duration offline_after_;
    clock::time_point last_good_{};
    std::atomic<bool> up_{false};
};

}  // namespace vx::devices
