// `driver: bridge`: the bridge's own figures (Modbus server, every device's link, its clock) for
// the status unit - and for {bridge: NAME} sources in any map, e.g. the GX system map's
// /DateAndTime - and one structured log line per minute with the same figures.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <vector>

#include "vxbridge/devices/device.hpp"
#include "vxbridge/modbus/server_stats.hpp"

namespace vx::app {

class status_device final : public devices::device,
                            public std::enable_shared_from_this<status_device> {
  public:
    status_device(boost::asio::any_io_executor exec, const modbus::server_stats& stats);

    // The devices to report on, in the order of their names (set before start).
    void watch(std::vector<std::shared_ptr<devices::device>> devices) {
        devices_ = std::move(devices);
    }

    // Every {bridge: NAME} this device serves.
    static std::vector<std::string> point_names();
    std::string check_point(const core::point_spec& p) const override;
    void subscribe(const core::point_spec& p, devices::value_listener l) override;
    void write(const core::point_spec&, const core::value&, core::write_done done,
               time_point) override {
        done(core::make_result(core::outcome::refused, "read-only"));
    }
    bool online() const override { return true; }
    void clear_subscriptions() override { listeners_.clear(); }
    void start() override;
    void stop() override;

    // The per-minute log line (also what tests read).
    std::string summary() const;

  private:
    void tick();
    core::value value_of(const std::string& key) const;

    boost::asio::steady_timer timer_;
    const modbus::server_stats& stats_;
    std::vector<std::shared_ptr<devices::device>> devices_;
    std::map<std::string, std::vector<devices::value_listener>> listeners_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now(), last_log_;
    bool stopped_ = false;
};

}  // namespace vx::app
