// The one place where a map's entries meet points (used by the gateway, the unit tests and the
// fuzzer): each entry's source is checked by the device that serves it, subscribed through the
// point store into the unit's register image, and its writes routed to that device. A unit may
// serve points of several devices: sources of a routed kind ({bridge: ...}, later {ess: ...})
// go to the device routed for that kind, everything else to the unit's device.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "vxbridge/core/diagnostics.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/devices/point_store.hpp"
#include "vxbridge/modbus/unit_router.hpp"

namespace vx::modbus {

struct unit_binding {
    std::uint8_t unit_id = 0;
    std::string device_name;  // for logs and the demo banner
    int device_address = 0;   // the target behind a shared link (Xcom 101...), 0 = none
    std::shared_ptr<const register_map::register_map> map;
    std::shared_ptr<devices::device> device;
};

class unit_binder {
  public:
    explicit unit_binder(std::shared_ptr<devices::point_store> store) : store_(std::move(store)) {}

    // Sources `{kind: ...}` are served by `dev`, whatever the unit's device; with `dev` null
    // they read as unavailable (a status map entry for a part this site does not have).
    void route(const std::string& kind, std::shared_ptr<devices::device> dev) {
        routes_[kind] = std::move(dev);
    }
    // `{kind: ...}` goes to the unit's own device again.
    void unroute(const std::string& kind) { routes_.erase(kind); }

    // Binds every entry; problems (a source the device cannot serve) go to `diag` with the
    // map's file:line:col, and that entry reads as unavailable.
    std::shared_ptr<unit> bind(const unit_binding& b, core::diagnostics& diag) const;

  private:
    const std::shared_ptr<devices::device>& owner_of(
        const core::point_ref* source, const std::shared_ptr<devices::device>& d) const;

    std::shared_ptr<devices::point_store> store_;
    std::map<std::string, std::shared_ptr<devices::device>> routes_;
};

}  // namespace vx::modbus
