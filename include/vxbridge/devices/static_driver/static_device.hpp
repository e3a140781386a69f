// `driver: static`: constant points from the map (`source: {value: X}`), rw points keep what
// clients write. Serves the constant parts of standard maps and lets integrators commission a
// site without hardware; `latency`, `offline` and per-point `write:` outcomes emulate a device.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "vxbridge/devices/constant_points.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/devices/driver_registry.hpp"
#include "vxbridge/devices/static_driver/static_options.hpp"

namespace vx::devices::static_driver {

class static_device final : public device {
  public:
    static_device(std::string name, boost::asio::any_io_executor exec, static_options options);

    std::string check_point(const core::point_spec& point) const override;
    void subscribe(const core::point_spec& point, value_listener listener) override;
    void write(const core::point_spec& point, const core::value& v, core::write_done done,
               time_point deadline) override;
    void clear_subscriptions() override { points_.clear_listeners(); }
    bool online() const override { return !options_.offline; }

    // The outcome a point's `write:` option asks for.
    static core::outcome outcome(const core::point_spec& point);

  private:
    boost::asio::any_io_executor exec_;
    static_options options_;
    constant_points points_;
};

// This driver's entry in the registry (app/drivers.cpp).
driver_info driver();

}  // namespace vx::devices::static_driver
