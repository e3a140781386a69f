#include "vxbridge/devices/option_readers.hpp"

#include <cctype>
#include <string>

namespace vx::devices {

using register_map::yaml_fields;

std::optional<std::chrono::milliseconds> read_seconds(yaml_fields& f, const char* key, double lo,
                                                      double hi) {
    auto v = f.number(key);
    if (!v) return std::nullopt;
    if (*v < lo || *v > hi) {
        f.error(f.get(key), std::string("'") + key + "' must be between " + std::to_string(lo) +
                                " and " + std::to_string(hi) + " seconds");
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<long long>(*v * 1000.0));
}

std::optional<transport::link_options> read_transport(
    yaml_fields& outer, const char* key, const transport::serial_options& serial_defaults) {
    const auto n = outer.get(key);
    if (!n.IsDefined()) {
        outer.missing(key);
        return std::nullopt;
    }
    const auto& file = outer.file();
    auto& d = outer.diag();
    if (!n.IsMap() || n.size() != 1) {
        outer.error(n, std::string("'") + key +
                           "' must be one of {udp: ...}, {serial: ...}, {tcp_server: ...}, "
                           "{tcp_client: ...}");
        return std::nullopt;
    }
    const auto kind = register_map::key_text(n.begin()->first);
    const auto body = n.begin()->second;
    auto host_port = [&](yaml_fields& f, const char* k, bool required) {
        auto v = f.text(k, required);
        if (v && v->rfind(':') == std::string::npos)
            f.error(f.get(k), std::string("'") + k + "' needs HOST:PORT");
        return v.value_or("");
    };
    if (kind == "udp") {
        yaml_fields f(body, file, d, {"remote", "local"}, "transport udp");
        if (!f.ok()) return std::nullopt;
        return transport::udp_options{host_port(f, "remote", true), host_port(f, "local", true)};
    }
    if (kind == "serial") {
        yaml_fields f(body, file, d, {"port", "baud", "parity", "stop_bits", "crlf"},
                      "transport serial");
        if (!f.ok()) return std::nullopt;
        transport::serial_options s = serial_defaults;
        if (auto p = f.text("port", true)) s.port = *p;
        if (auto b = f.integer("baud", 1200, 921600)) s.baud = static_cast<int>(*b);
        if (auto p = f.choice("parity", {"none", "even", "odd"}))
            s.parity = static_cast<char>(std::toupper((*p)[0]));
        if (auto b = f.integer("stop_bits", 1, 2)) s.stop_bits = static_cast<int>(*b);
        if (auto c = f.boolean("crlf")) s.crlf = *c;
        return s;
    }
    if (kind == "tcp_server") {
        yaml_fields f(body, file, d, {"listen"}, "transport tcp_server");
        if (!f.ok()) return std::nullopt;
        return transport::tcp_server_options{host_port(f, "listen", true)};
    }
    if (kind == "tcp_client") {
        yaml_fields f(body, file, d, {"connect"}, "transport tcp_client");
        if (!f.ok()) return std::nullopt;
        return transport::tcp_client_options{host_port(f, "connect", true)};
    }
    register_map::report(d, file, n.begin()->first,
                         "unknown transport '" + kind + "' (udp, serial, tcp_server, tcp_client)");
    return std::nullopt;
}

}  // namespace vx::devices
