// `source: {value: X}` points any driver can serve: the map's constant, and what clients write
// to an rw one (serial numbers, firmware strings and settings a device does not have).
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "vxbridge/devices/device.hpp"

namespace vx::devices {

class constant_points {
  public:
    static bool handles(const core::point_spec& p) {
        return p.ref.kind == "value" || p.ref.kind.empty();
    }
    static core::value parse_literal(const std::string& text);

    // Publishes the constant at once (it never goes stale).
    void subscribe(const core::point_spec& p, value_listener listener);
    // Stores v and tells the point's listeners; always succeeds.
    void store(const core::point_spec& p, const core::value& v);
    // Forgets the listeners; values (what clients wrote) stay for the next subscribe.
    void clear_listeners();

  private:
    struct point {
        core::value value;
        std::vector<value_listener> listeners;
    };
    std::mutex mutex_;
    std::map<std::string, point> points_;  // by binding (unit/register)
};

}  // namespace vx::devices
