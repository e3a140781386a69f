#include "vxbridge/devices/static_driver/static_device.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace vx::devices::static_driver {

namespace asio = boost::asio;

static_device::static_device(std::string name, asio::any_io_executor exec, static_options options)
    : device(std::move(name)), exec_(std::move(exec)), options_(options) {}

core::outcome static_device::outcome(const core::point_spec& point) {
    const auto* w = point.ref.option("write");
    if (!w || *w == "ok") return core::outcome::ok;
    if (*w == "refuse") return core::outcome::refused;
    if (*w == "busy") return core::outcome::busy;
    if (*w == "timeout") return core::outcome::timeout;
    return core::outcome::invalid;
}

std::string static_device::check_point(const core::point_spec& point) const {
    if (point.ref.kind.empty()) return {};  // an rw register without source: starts empty
    if (point.ref.kind != "value")
        return "driver static serves {value: X} sources, not {" + point.ref.kind + ": ...}";
    for (const auto& [k, v] : point.ref.options) {
        if (k != "write") return "unknown source option '" + k + "' (static knows 'write')";
        if (v != "ok" && v != "refuse" && v != "busy" && v != "timeout" && v != "invalid")
            return "write: must be ok, refuse, busy, timeout or invalid, not '" + v + "'";
    }
    return {};
}

void static_device::subscribe(const core::point_spec& point, value_listener listener) {
    points_.subscribe(point, std::move(listener));
}

void static_device::write(const core::point_spec& point, const core::value& v,
                          core::write_done done, time_point deadline) {
    if (!online())
        return done(core::make_result(core::outcome::offline, "static device is offline"));
    const auto status = outcome(point);
    // A timeout is a device that never answers: the caller's deadline reports it.
    if (status == core::outcome::timeout) return;
    auto finish = [this, point, v, status, done = std::move(done), deadline]() mutable {
        if (status != core::outcome::ok)
            return done(core::make_result(status, "configured outcome"));
        if (std::chrono::steady_clock::now() >= deadline)  // its client was told 0x0B
            return done(core::make_result(core::outcome::timeout, "client gave up"));
        points_.store(point, v);
        done(core::make_result(core::outcome::ok));
    };
    if (options_.latency.count() == 0) return finish();
    auto timer = std::make_shared<asio::steady_timer>(exec_, options_.latency);
    timer->async_wait(
        [timer, finish = std::move(finish)](boost::system::error_code) mutable { finish(); });
}

}  // namespace vx::devices::static_driver
