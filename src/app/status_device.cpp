#include "vxbridge/app/status_device.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "vxbridge/core/suggest.hpp"

namespace vx::app {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {
constexpr std::size_t kDeviceSlots = 8;
const char* const kGlobal[] = {
    "uptime",          "version",           "modbus_connections", "modbus_connections_total",
    "modbus_requests", "modbus_exceptions", "modbus_refused",     "device_count",
    "utc_seconds"};
const char* const kPerDevice[] = {"name",       "link_up",  "age",
                                  "requests",   "timeouts", "checksum_errors",
                                  "reconnects", "cycle_ms", "queue_depth"};
}  // namespace

status_device::status_device(asio::any_io_executor exec, const modbus::server_stats& stats)
    : device("bridge"), timer_(exec), stats_(stats), last_log_(clock::now()) {}

std::vector<std::string> status_device::point_names() {
    std::vector<std::string> names(std::begin(kGlobal), std::end(kGlobal));
    for (std::size_t n = 1; n <= kDeviceSlots; ++n)
        for (const char* f : kPerDevice) names.push_back("device" + std::to_string(n) + "_" + f);
    return names;
}

std::string status_device::check_point(const core::point_spec& p) const {
    if (p.ref.kind != "bridge") return "driver bridge serves {bridge: NAME}";
    if (!p.ref.options.empty()) return "{bridge: NAME} takes no options";
    static const auto names = point_names();
    if (std::find(names.begin(), names.end(), p.ref.key) == names.end())
        return "unknown bridge point '" + p.ref.key + "'" + core::did_you_mean(p.ref.key, names) +
               "; the bridge serves uptime, version, utc_seconds, modbus_*, device_count and "
               "device<N>_<field>";
    if (p.writable) return "bridge point '" + p.ref.key + "' is read-only";
    return {};
}

void status_device::subscribe(const core::point_spec& p, devices::value_listener l) {
    listeners_[p.ref.key].push_back(std::move(l));
}

void status_device::start() {
    tick();
}

void status_device::stop() {
    stopped_ = true;
    timer_.cancel();
}

core::value status_device::value_of(const std::string& key) const {
    const auto now = clock::now();
    auto u = [](std::uint64_t v) {
        return core::value{static_cast<std::int64_t>(v & 0xFFFFFFFFu)};
    };
    if (key == "uptime")
        return u(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(now - started_).count()));
    if (key == "version") return std::string(VXBRIDGE_VERSION);
    if (key == "modbus_connections") return u(stats_.connections_open.load());
    if (key == "modbus_connections_total") return u(stats_.connections_total.load());
    if (key == "modbus_requests") return u(stats_.requests.load());
    if (key == "modbus_exceptions") return u(stats_.exceptions.load());
    if (key == "modbus_refused") return u(stats_.connections_refused.load());
    if (key == "device_count") return u(devices_.size());
    if (key == "utc_seconds")  // /DateAndTime on the GX system map (830)
        return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count());
    // device<N>_<field>
    const auto us = key.find('_');
    const auto n = static_cast<std::size_t>(std::stoul(key.substr(6, us - 6)));
    if (n < 1 || n > devices_.size()) return {};
    const auto& d = devices_[n - 1];
    const auto s = d->status();
    const auto f = key.substr(us + 1);
    if (f == "name") return d->name();
    if (f == "link_up") return std::int64_t{s.up};
    if (f == "age") {
        if (s.last_good == clock::time_point{}) return {};
        return u(static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::seconds>(now - s.last_good).count()));
    }
    if (f == "requests") return u(s.requests);
    if (f == "timeouts") return u(s.timeouts);
    if (f == "checksum_errors") return u(s.checksum_errors);
    if (f == "reconnects") return u(s.reconnects);
    if (f == "cycle_ms") return static_cast<std::int64_t>(s.cycle_ms);
    if (f == "queue_depth") return u(s.queue_depth);
    return {};
}

std::string status_device::summary() const {
    std::string s = "status uptime_s=" + core::to_string(value_of("uptime")) +
                    " modbus_connections=" + core::to_string(value_of("modbus_connections")) +
                    " modbus_requests=" + core::to_string(value_of("modbus_requests")) +
                    " modbus_exceptions=" + core::to_string(value_of("modbus_exceptions"));
    for (const auto& d : devices_) {
        const auto st = d->status();
        s += " " + d->name() + "={up=" + std::to_string(st.up) +
             " requests=" + std::to_string(st.requests) +
             " timeouts=" + std::to_string(st.timeouts) +
             " checksum_errors=" + std::to_string(st.checksum_errors) +
             " reconnects=" + std::to_string(st.reconnects) +
             " cycle_ms=" + std::to_string(static_cast<long>(st.cycle_ms)) + "}";
    }
    return s;
}

// Every second: publish; every minute: one log line with the same figures.
void status_device::tick() {
    if (stopped_) return;
    for (const auto& [key, ls] : listeners_) {
        const auto v = value_of(key);
        if (!core::has_value(v)) continue;
        for (const auto& l : ls) l(v, clock::now());
    }
    if (clock::now() - last_log_ >= std::chrono::minutes(1)) {
        last_log_ = clock::now();
        spdlog::get("app")->info("{}", summary());
    }
    timer_.expires_after(std::chrono::seconds(1));
    timer_.async_wait([w = weak_from_this()](boost::system::error_code ec) {
        if (auto s = w.lock(); s && !ec) s->tick();
    });
}

}  // namespace vx::app
