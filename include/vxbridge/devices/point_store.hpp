// The point store: every device's engineering values with the time of the answer that carried
// them, in one place for every consumer (Modbus units, the ESS loop, the web view). Consumers
// subscribe here, never to a device: a device is asked for a point once, whoever needs it, and
// a subscription belongs to the consumer that made it (dropping its token unsubscribes).
// "Interest" - when a consumer last needed a value - reaches the device for demand polling.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vxbridge/core/point.hpp"
#include "vxbridge/core/subscription.hpp"
#include "vxbridge/devices/device.hpp"

namespace vx::devices {

struct sample {
    core::value value;  // empty: the device has no value (missing, or said "unavailable")
    std::chrono::steady_clock::time_point stamp{};  // time of the answer; max(): never stale
};

// When a consumer last needed a point (time_point::min(): never). Called on the device's thread.
using interest_fn = std::function<std::chrono::steady_clock::time_point()>;

class point_store : public std::enable_shared_from_this<point_store> {
  public:
    using clock = std::chrono::steady_clock;

    // Subscribes `listener` to the point `spec` names on `dev`. The first subscription to a
    // point asks the device for it; the latest sample, if any, is delivered at once. `interest`
    // says when the consumer last needed the value; without one the consumer always needs it.
    core::subscription subscribe(const std::shared_ptr<device>& dev, const core::point_spec& spec,
                                 value_listener listener, interest_fn interest = {});

    // The latest sample of a point (device name, key_of(spec)), if the store has one.
    std::optional<sample> latest(const std::string& device, const std::string& key) const;

    // A device whose subscriptions were cleared (a reload re-binds it): it is asked anew for
    // the points consumers subscribe to next; the samples stay, so values do not blink.
    void forget_feeds(const std::string& device);
    // A device that is gone or replaced: its samples go too.
    void drop_device(const std::string& device);

    // The identity of a point on its device: driver-defined points by their reference and
    // device address; constants and bridge-held rw values ({value: X}) per register.
    static std::string key_of(const core::point_spec& spec);

  private:
    struct subscriber {
        std::uint64_t id;
        value_listener listener;
        interest_fn interest;
    };
    struct entry {
        sample latest;
        bool fed = false;  // the device was asked for this point
        std::shared_ptr<const std::vector<subscriber>> subs =
            std::make_shared<const std::vector<subscriber>>();
    };
    using entry_ptr = std::shared_ptr<entry>;

    void publish(const entry_ptr& e, const core::value& v, clock::time_point stamp);
    clock::time_point interest_of(const entry_ptr& e) const;
    void unsubscribe(const entry_ptr& e, std::uint64_t id);

    mutable std::mutex mutex_;
    std::map<std::string, std::map<std::string, entry_ptr>> points_;  // device -> key -> entry
    std::uint64_t next_id_ = 1;
};

}  // namespace vx::devices
