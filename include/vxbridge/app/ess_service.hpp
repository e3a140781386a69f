// The ESS loop of one VE.Bus system at work: a consumer of the point store (the Multi's AC-in,
// AC-out, SoC, battery voltage and link state) that runs control::ess_loop on every fresh
// measurement and each second, sends its setpoint to the Multi through the Multi's point
// writer, serves the settings and its own state as `{ess: NAME}` points (the GX system unit's
// 2700-2724 / 2900-2903, the status unit), and keeps the settings in a state file.
#pragma once

#include <array>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vxbridge/control/ess_loop.hpp"
#include "vxbridge/core/subscription.hpp"
#include "vxbridge/devices/device.hpp"
#include "vxbridge/devices/point_store.hpp"

namespace vx::app {

class ess_service final : public devices::device, public std::enable_shared_from_this<ess_service> {
  public:
    // `multi`: the VE.Bus device it regulates; `meter`: the grid meter it regulates on (null:
    // the Multi's AC input); `state_file`: where the settings live ("" = not kept).
    ess_service(boost::asio::any_io_executor exec, control::ess_config config,
                std::shared_ptr<devices::point_store> store, std::shared_ptr<devices::device> multi,
                std::string state_file, std::shared_ptr<devices::device> meter = nullptr);

    static std::vector<std::string> point_names();
    std::string check_point(const core::point_spec& p) const override;
    void subscribe(const core::point_spec& p, devices::value_listener l) override;
    void write(const core::point_spec& p, const core::value& v, core::write_done done,
               time_point deadline) override;
    bool online() const override { return true; }
    const std::shared_ptr<devices::device>& meter() const { return meter_; }
    // Every {ess: NAME} point's value now (the commissioning view; io thread).
    std::vector<std::pair<std::string, core::value>> figures() const;
    void clear_subscriptions() override { listeners_.clear(); }
    void start() override;
    void stop() override;

  private:
    void on_value(const std::string& name, const core::value& v,
                  std::chrono::steady_clock::time_point stamp);
    void on_meter(const std::string& name, const core::value& v,
                  std::chrono::steady_clock::time_point stamp);
    // The meter's part of the sample: its powers and when they last moved.
    void fill_meter(std::chrono::steady_clock::time_point now);
    // systemcalc's grid and consumption per phase ({ess: grid_l1_w ...}).
    std::optional<double> systemcalc(const std::string& name,
                                     std::chrono::steady_clock::time_point now) const;
    void step();
    void tick();
    void send(const control::ess_command& c);
    void send_point(const char* name, double value);
    void publish_all();
    void save();
    void note_state();

    boost::asio::any_io_executor exec_;
    boost::asio::steady_timer timer_;
    control::ess_loop loop_;
    std::shared_ptr<devices::point_store> store_;
    std::shared_ptr<devices::device> multi_;
    std::shared_ptr<devices::device> meter_;
    std::string state_file_;
    struct meter_values {
        std::map<std::string, double> v;  // power, power_l1..3, voltage_l1..3
        std::chrono::steady_clock::time_point answered{}, changed{};
        bool frozen = false;
    } meter_now_;
    std::vector<core::subscription> feeds_;
    std::map<std::string, std::vector<devices::value_listener>> listeners_;
    control::ess_sample sample_;
    std::chrono::steady_clock::time_point last_step_at_{};
    bool step_posted_ = false, link_up_ = false, stopped_ = false;
    std::optional<bool> sent_disable_charge_, sent_disable_feedin_;
    std::uint64_t saved_version_ = 0;
    std::array<double, 4> sent_{};  // the last setpoints sent (the Multi publishes them back)
    std::size_t sent_next_ = 0;
    bool told_overwrite_ = false;
    std::string logged_state_, last_send_error_, last_save_error_;
};

}  // namespace vx::app
