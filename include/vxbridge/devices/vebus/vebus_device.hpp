// `driver: vebus`: a Victron Multi through an MK3 (protocols/vebus-mk3-and-gx.md). One
// coroutine owns the link: start-up (version, address, RAM-variable infos, ESS assistant scan),
// then poll cycles; queued writes jump the poll queue; the ESS setpoint is refreshed and falls
// back to 0 W (DESIGN.md section 3); silence, a boot frame or a port error re-initialise.
#pragma once

#include <utility>  // first: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vxbridge/devices/command_queue.hpp"
#include "vxbridge/devices/constant_points.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/devices/driver_registry.hpp"
#include "vxbridge/devices/online_state.hpp"
#include "vxbridge/devices/vebus/ess_hold.hpp"
#include "vxbridge/devices/vebus/mk3_link.hpp"
#include "vxbridge/devices/vebus/multi_state.hpp"
#include "vxbridge/devices/vebus/vebus_options.hpp"

namespace vx::devices::vebus {

class vebus_device final : public device, public std::enable_shared_from_this<vebus_device> {
  public:
    // `link`: the byte link to use instead of the serial port options.port (driver tests).
    vebus_device(std::string name, boost::asio::any_io_executor exec, vebus_options options,
                 std::shared_ptr<transport::link> link = nullptr);
    ~vebus_device() override;

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

    // Points the driver writes (besides the measurements of vebus::multi_state).
    static const std::vector<std::string>& writable_points();
    static const std::vector<std::string>& link_points();
    // Every NAME of {vebus: NAME}: measurements, writable points, link figures.
    static const std::vector<std::string>& source_names();

  private:
    using clock = std::chrono::steady_clock;
    struct command {
        std::string point;
        core::value value;
        core::write_done done;
        clock::time_point deadline;  // the client stops waiting then
    };

    boost::asio::awaitable<void> run();
    boost::asio::awaitable<bool> initialise();
    boost::asio::awaitable<bool> read_scales();
    boost::asio::awaitable<void> scan_assistants();
    boost::asio::awaitable<bool> cycle();
    boost::asio::awaitable<bool> ask(vebus::frame request);  // poll step (writes first)
    boost::asio::awaitable<void> run_commands();
    boost::asio::awaitable<void> execute(command& c);
    boost::asio::awaitable<core::write_result> send_setpoint(double gx_watts);
    boost::asio::awaitable<core::write_result> send_state(std::uint8_t sw,
                                                          std::optional<std::uint16_t> limit);
    boost::asio::awaitable<void> ess_housekeeping();
    boost::asio::awaitable<void> idle_until(clock::time_point next);

    void publish();
    void publish(const std::string& name, const core::value& v);
    void log_online(bool changed);
    core::value own_point(const std::string& name) const;
    std::uint8_t current_switch() const;

    boost::asio::any_io_executor exec_;
    vebus_options options_;
    vebus::mk3_link link_;
    vebus::multi_state state_;
    constant_points constants_;
    std::map<std::string, std::vector<value_listener>> listeners_;
    command_queue<command> commands_;
    std::string last_port_error_;
    char letter_ = 'X';  // 'W' if the MK3 ignores X even after the mode-2 'S'
    bool stopping_ = false;
    bool reinit_ = false;
    online_state online_;

    // ESS (mode 3) state, GX sign: + = charge from the grid.
    std::optional<std::uint8_t> ess_id_;
    vebus::ess_hold ess_;
    std::uint64_t ess_refusals_ = 0;    // consecutive refusals of the setpoint by the Multi
    std::optional<std::uint8_t> mode_;  // last switch state we set

    std::uint64_t cycles_ = 0;
    double cycle_ms_ = 0, utilisation_ = 0;
};

// This driver's entry in the registry (app/drivers.cpp).
driver_info driver();

}  // namespace vx::devices::vebus
