// `driver: vebus`: a Victron Multi, or a parallel / split-phase / 3-phase system of them, through
// one MK3 (protocols/vebus-mk3-and-gx.md, vebus-multi-unit.md). One coroutine owns the link:
// start-up (version, address, RAM-variable infos, topology discovery, ESS assistant scan on
// every phase master), then poll cycles (every unit's snapshot, 'A' only when the next winmon
// frame is for another unit, phase frames F 1..3); queued writes jump the poll queue; each
// phase's ESS setpoint is divided by its units, written to its phase master, refreshed there
// and falls back to 0 W (DESIGN.md section 3); silence, a boot frame, a port error, VE.Bus
// error 3/17 coming or going, or register 105 re-initialise.
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
#include "vxbridge/devices/vebus/vebus_options.hpp"
#include "vxbridge/devices/vebus/vebus_system.hpp"

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
    boost::asio::awaitable<bool> discover();
    boost::asio::awaitable<bool> read_scales(std::uint8_t unit);
    boost::asio::awaitable<void> scan_assistants(int phase, std::uint8_t master);
    boost::asio::awaitable<bool> cycle();
    // One poll step (queued writes first); `unit`: the unit a winmon frame is for ('A' first
    // when another one is selected; winmon frames without one go to unit 0).
    boost::asio::awaitable<bool> ask(vebus::frame request, std::optional<std::uint8_t> unit = {});
    // One exchange, its reply applied; nullopt without an answer (an empty frame for requests
    // that get none).
    boost::asio::awaitable<std::optional<vebus::frame>> exchange(vebus::frame request);
    boost::asio::awaitable<bool> select(std::uint8_t unit);
    boost::asio::awaitable<void> run_commands();
    boost::asio::awaitable<void> execute(command& c);
    boost::asio::awaitable<core::write_result> write_setpoint(int phase, double watts,
                                                              clock::time_point deadline);
    boost::asio::awaitable<core::write_result> write_blocks(bool charge, bool on);
    boost::asio::awaitable<core::write_result> send_setpoint(int phase, double gx_watts);
    boost::asio::awaitable<core::write_result> send_state(std::uint8_t sw,
                                                          std::optional<std::uint16_t> limit);
    boost::asio::awaitable<void> ess_housekeeping();
    boost::asio::awaitable<void> idle_until(clock::time_point next);
    void watch_vebus_error();

    void publish();
    void publish(const std::string& name, const core::value& v);
    void log_online(bool changed);
    core::value own_point(const std::string& name) const;
    std::uint8_t current_switch() const;

    boost::asio::any_io_executor exec_;
    vebus_options options_;
    vebus::mk3_link link_;
    vebus::vebus_system system_;
    constant_points constants_;
    std::map<std::string, std::vector<value_listener>> listeners_;
    command_queue<command> commands_;
    std::string last_port_error_;
    char letter_ = 'X';  // 'W' if the MK3 ignores X even after the mode-2 'S'
    bool stopping_ = false;
    bool reinit_ = false;
    std::string reinit_why_;
    std::optional<std::uint8_t> selected_;  // the unit 'A' last selected
    std::optional<int> vebus_error_;        // last VE.Bus error seen, for 3/17 rediscovery
    std::string described_;                 // the topology as last logged
    online_state online_;

    // ESS (mode 3) per phase, GX sign: + = charge from the grid; written to the phase master.
    struct phase_ess {
        explicit phase_ess(vebus::ess_hold::timing t) : hold(t) {}
        std::optional<std::uint8_t> id;  // the ESS setpoint RAM id on the phase master
        vebus::ess_hold hold;
    };
    std::vector<phase_ess> ess_;
    std::uint64_t ess_refusals_ = 0;    // consecutive refusals of the setpoint by the Multi
    std::optional<std::uint8_t> mode_;  // last switch state we set

    std::uint64_t cycles_ = 0;
    clock::time_point last_cycle_{};  // energies integrate over the time between cycles
    double cycle_ms_ = 0, utilisation_ = 0;
};

// This driver's entry in the registry (app/drivers.cpp).
driver_info driver();

}  // namespace vx::devices::vebus
