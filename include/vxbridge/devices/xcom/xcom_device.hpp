// `driver: xcom`: Studer devices behind an Xcom-232i or Xcom-LAN (protocols/xcom-and-xcom485i.md).
// One coroutine owns the link: one request in flight, responses matched on service, object,
// property and device, others (the Studer portal's) discarded; infos polled fast (multi-info
// when the Xcom has it), parameters slowly; writes jump the queue, go to RAM unless the map
// says persist, are re-read, and the Modbus reply carries the device's answer.
#pragma once

#include <utility>  // first: Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <atomic>
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
#include "vxbridge/devices/exchange_session.hpp"
#include "vxbridge/devices/online_state.hpp"
#include "vxbridge/devices/xcom/catalogue.hpp"
#include "vxbridge/devices/xcom/poll_plan.hpp"
#include "vxbridge/devices/xcom/scom_frame.hpp"
#include "vxbridge/devices/xcom/xcom_options.hpp"
#include "vxbridge/transport/link.hpp"

namespace vx::devices::xcom {

class xcom_device final : public device, public std::enable_shared_from_this<xcom_device> {
  public:
    // `link`: the byte link to use instead of options.transport (driver tests).
    xcom_device(std::string name, boost::asio::any_io_executor exec, xcom_options options,
                std::shared_ptr<transport::link> link = nullptr);
    ~xcom_device() override;

    std::string check_point(const core::point_spec& point) const override;
    void subscribe(const core::point_spec& point, value_listener listener) override;
    void write(const core::point_spec& point, const core::value& v, core::write_done done,
               time_point deadline) override;
    bool online() const override { return online_.up(); }
    void clear_subscriptions() override {
        points_.clear();
        named_.clear();
        constants_.clear_listeners();
    }
    link_status status() const override;
    bool wants_demand() const override { return true; }

    void start() override;
    void stop() override;

  private:
    using clock = std::chrono::steady_clock;
    enum class prop { value, min, max, ram };
    struct key {
        std::uint32_t address;
        xcom::kind k;
        std::uint32_t nr;
        prop p;
        auto operator<=>(const key&) const = default;
    };
    struct point {
        const xcom::datapoint* dp = nullptr;
        core::poll_class poll = core::poll_class::normal;
        std::vector<value_listener> listeners;
        std::vector<std::function<clock::time_point()>> demand;  // last client reads
        clock::time_point polled{};  // last read from the device (epoch: never)

        bool once_done = false;
        bool retry = false;  // the last read got no answer (busy, silent): first in the next pass
    };
    struct command {
        key k;
        bool persist;
        core::value value;
        core::write_done done;
        clock::time_point deadline;  // the client stops waiting then
    };
    struct reply {
        std::optional<xcom::frame> frame;  // nullopt: no answer in time
        bool busy = false;
    };

    boost::asio::awaitable<void> run();
    // `retries`: resends after a timeout (-1: options.retries).
    boost::asio::awaitable<reply> exchange(xcom::frame request, int retries = -1);
    boost::asio::awaitable<reply> write_once(xcom::frame request, xcom::data_format format,
                                             double value);

    boost::asio::awaitable<void> poll_due();
    boost::asio::awaitable<bool> poll_multi_info(std::vector<key>& due);
    boost::asio::awaitable<void> read_one(key k);
    boost::asio::awaitable<void> discover();
    boost::asio::awaitable<void> read_messages();
    boost::asio::awaitable<void> run_commands();
    boost::asio::awaitable<void> execute(command c);
    // Inside an exchange (a write's GATEWAY_BUSY back-off): writes do not shorten it.

    boost::asio::awaitable<void> hold(std::chrono::milliseconds d);

    std::optional<key> key_of(const core::point_spec& p, std::string* why) const;
    void publish(const key& k, double v);
    void publish_named(const std::string& name, const core::value& v);
    void on_data(std::span<const std::uint8_t> bytes);
    void count_flash_write(const key& k);
    void update_online();
    clock::time_point demand_of(const point& pt) const;

    boost::asio::any_io_executor exec_;
    xcom_options options_;
    std::shared_ptr<transport::link> link_;
    xcom::frame_parser parser_;
    constant_points constants_;
    std::map<key, point> points_;
    std::map<std::string, std::vector<value_listener>> named_;  // {xcom: NAME}
    using session = exchange_session<xcom::frame>;
    session session_;
    command_queue<command> commands_;  // its pause ends early for a write or a link change
    boost::asio::steady_timer hold_;
    bool stopping_ = false;
    bool multi_info_ok_ = true;
    std::uint16_t request_id_ = 1;
    int unanswered_ = 0;  // timeouts in a row
    online_state online_;
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint32_t> flash_writes_;
    std::map<std::string, int> device_counts_;
    std::optional<key> param_cursor_;  // the last parameter polled (round robin)
    // The Xcom's message service: a response with frame_flags bit 0 says a message is unread.
    bool message_waiting_ = false;
    std::uint32_t messages_total_ = 0;  // the Xcom's count at the last read
    struct message {
        std::uint16_t nr = 0;
        std::uint32_t source = 0;
    };
    std::vector<message> messages_;  // read so far, oldest first (at most 128)
    double pass_ms_ = 0;             // the last poll pass
    struct {
        std::uint64_t busy = 0, unrelated = 0, values = 0;
    } stats_;
};

// This driver's entry in the registry (app/drivers.cpp).
driver_info driver();

}  // namespace vx::devices::xcom
