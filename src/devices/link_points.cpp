#include "vxbridge/devices/device.hpp"

namespace vx::devices {

const std::vector<std::string>& common_link_points() {
    static const std::vector<std::string> names{"link_up",         "link_requests",
                                                "link_timeouts",   "link_checksum_errors",
                                                "link_reconnects", "link_cycle_ms"};
    return names;
}

core::value link_point(const link_status& s, std::string_view name) {
    const auto count = [](std::uint64_t n) { return core::value{static_cast<std::int64_t>(n)}; };
    if (name == "link_up") return std::int64_t{s.up};
    if (name == "link_requests") return count(s.requests);
    if (name == "link_timeouts") return count(s.timeouts);
    if (name == "link_checksum_errors") return count(s.checksum_errors);
    if (name == "link_reconnects") return count(s.reconnects);
    if (name == "link_cycle_ms") return s.cycle_ms;
    return {};
}

}  // namespace vx::devices
