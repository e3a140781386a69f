// `driver: modbus`: a remote Modbus device the bridge polls as a client (a grid meter: Carlo
// Gavazzi EM24/ET340/EM540, Eastron SDM630), its points named by its device map. One poll
// cycle reads the map's blocks one request after the other on the device's bus (shared with
// the other devices on the same RS-485 port), then publishes every value with the time of the
// answer. Same link points, back-off and "unavailable" handling as the other drivers: values
// go missing once the device is offline (no good cycle for offline_after).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "vxbridge/devices/constant_points.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/devices/driver_registry.hpp"
#include "vxbridge/devices/modbus_client/client_bus.hpp"
#include "vxbridge/devices/modbus_client/client_options.hpp"
#include "vxbridge/devices/modbus_client/read_plan.hpp"
#include "vxbridge/devices/online_state.hpp"
#include "vxbridge/transport/backoff.hpp"

namespace vx::devices::modbus_client {

class client_device final : public device, public std::enable_shared_from_this<client_device> {
  public:
    client_device(std::string name, boost::asio::any_io_executor exec, client_options options);
    ~client_device() override;

    std::string check_point(const core::point_spec& point) const override;
    void subscribe(const core::point_spec& point, value_listener listener) override;
    void write(const core::point_spec& point, const core::value& v, core::write_done done,
               time_point deadline) override;
    bool online() const override { return online_.up(); }
    void clear_subscriptions() override {
        listeners_.clear();
        constants_.clear_listeners();
    }
    link_status status() const override;
    void start() override;
    void stop() override;

  private:
    using clock = std::chrono::steady_clock;
    void begin_cycle();
    void next_request();
    void on_reply(bus_reply rep);
    void end_cycle(bool complete);
    void wait(clock::duration d);
    void publish(const std::string& name, const core::value& v, clock::time_point at);
    void publish_link();
    void set_offline();

    boost::asio::any_io_executor exec_;
    client_options options_;
    std::unique_ptr<read_plan> plan_;
    std::shared_ptr<client_bus> bus_;
    boost::asio::steady_timer timer_;
    std::map<std::string, std::vector<value_listener>> listeners_;
    constant_points constants_;  // {value: X} entries of the maps bound to this device
    std::map<std::string, core::value> values_;
    std::vector<const read_block*> due_;
    std::size_t next_ = 0;
    int tries_ = 0;
    std::uint64_t cycle_ = 0;
    std::vector<bool> once_done_;
    clock::time_point cycle_start_{};
    bool cycle_ok_ = true;
    bool link_ok_ = false;  // the port/connection is open
    bool ever_open_ = false;
    bool stopped_ = true;
    std::string last_problem_;  // logged once until it changes
    transport::backoff backoff_;
    online_state online_;
    link_status stats_;
};

// This driver's registry entry (options and factory).
driver_info driver();

}  // namespace vx::devices::modbus_client
