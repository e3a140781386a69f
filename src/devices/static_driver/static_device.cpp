#include "vxbridge/devices/static_driver/static_device.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <charconv>
#include <memory>

namespace vx::devices {

namespace asio = boost::asio;

static_device::static_device(std::string name, asio::any_io_executor exec, static_options options)
    : device(std::move(name)), exec_(std::move(exec)), options_(options) {}

core::value static_device::parse_literal(const std::string& text) {
    if (text.empty()) return {};
    std::int64_t i = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec == std::errc() && p == text.data() + text.size()) return i;
    double d = 0;
    auto [q, ec2] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec2 == std::errc() && q == text.data() + text.size()) return d;
    return text;
}

core::write_status static_device::outcome(const core::point_spec& point) {
    const auto* w = point.ref.option("write");
    if (!w || *w == "ok") return core::write_status::ok;
    if (*w == "refuse") return core::write_status::refused;
    if (*w == "busy") return core::write_status::busy;
    if (*w == "timeout") return core::write_status::timeout;
    return core::write_status::invalid;
}

std::string static_device::check_point(const core::point_spec& point) const {
    if (point.ref.kind.empty()) return {};  // an rw register without source: starts empty
    if (point.ref.kind != "value")
        return "driver static serves {value: X} sources, not '" + point.ref.kind + "'";
    for (const auto& [k, v] : point.ref.options) {
        if (k != "write") return "unknown source option '" + k + "' (static knows 'write')";
        if (v != "ok" && v != "refuse" && v != "busy" && v != "timeout" && v != "invalid")
            return "write: must be ok, refuse, busy, timeout or invalid, not '" + v + "'";
    }
    return {};
}

void static_device::subscribe(const core::point_spec& point, value_listener listener) {
    std::lock_guard lock(mutex_);
    auto [it, fresh] = points_.try_emplace(point.binding);
    if (fresh) it->second.value = parse_literal(point.ref.key);
    listener(it->second.value, std::chrono::steady_clock::time_point::max());
    it->second.listeners.push_back(std::move(listener));
}

void static_device::write(const core::point_spec& point, const core::value& v,
                          core::write_done done) {
    if (!online()) return done({core::write_status::offline, "static device is offline", {}});
    const auto status = outcome(point);
    // A timeout is a device that never answers: the caller's deadline reports it.
    if (status == core::write_status::timeout) return;
    auto finish = [this, binding = point.binding, v, status, done = std::move(done)]() mutable {
        if (status != core::write_status::ok) return done({status, "configured outcome", {}});
        apply(binding, v, std::move(done));
    };
    if (options_.latency.count() == 0) return finish();
    auto timer = std::make_shared<asio::steady_timer>(exec_, options_.latency);
    timer->async_wait(
        [timer, finish = std::move(finish)](boost::system::error_code) mutable { finish(); });
}

void static_device::apply(const std::string& binding, const core::value& v, core::write_done done) {
    std::vector<value_listener> listeners;
    {
        std::lock_guard lock(mutex_);
        auto& p = points_[binding];
        p.value = v;
        listeners = p.listeners;
    }
    for (const auto& l : listeners) l(v, std::chrono::steady_clock::time_point::max());
    done({core::write_status::ok, {}, v});
}

}  // namespace vx::devices
