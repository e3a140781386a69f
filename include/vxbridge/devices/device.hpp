// The interface every device driver implements: validate map sources, publish point values,
// accept writes (core::point_writer), start and stop its links.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "vxbridge/core/command.hpp"
#include "vxbridge/core/point.hpp"

namespace vx::devices {

// Called on any thread with each new value; stamp = time_point::max() for values that never
// go stale (constants).
using value_listener =
    std::function<void(const core::value&, std::chrono::steady_clock::time_point stamp)>;

// What the status unit and the per-minute log line show of a device's link.
struct link_status {
    bool up = false;
    std::chrono::steady_clock::time_point last_good{};  // epoch: never
    std::uint64_t requests = 0, timeouts = 0, checksum_errors = 0, reconnects = 0;
    double cycle_ms = 0;
    std::size_t queue_depth = 0;
};

// The value of a link point every driver serves by the same name (link_up, link_requests,
// link_timeouts, link_checksum_errors, link_reconnects, link_cycle_ms); no value for any other
// name (the driver's own).
core::value link_point(const link_status& s, std::string_view name);
const std::vector<std::string>& common_link_points();

class device : public core::point_writer {
  public:
    explicit device(std::string name) : name_(std::move(name)) {}
    const std::string& name() const { return name_; }

    // Empty when this driver can serve the point; otherwise why not (for `vxbridge check`).
    virtual std::string check_point(const core::point_spec& point) const = 0;
    // Registers a map entry's interest in a point. Called before start().
    virtual void subscribe(const core::point_spec& point, value_listener listener) = 0;
    // Forgets every listener (a reload binds the units anew); values and links stay.
    virtual void clear_subscriptions() = 0;
    virtual void start() {}
    virtual void stop() {}
    // Whether the driver polls by demand (then the bridge records when clients read).
    virtual bool wants_demand() const { return false; }
    virtual link_status status() const { return {online(), {}, 0, 0, 0, 0, 0, 0}; }

  private:
    std::string name_;
};

}  // namespace vx::devices
