// Options of the byte links (std only, for the config loader).
#pragma once

#include <string>
#include <variant>

namespace vx::transport {

struct serial_options {
    std::string port;
    int baud = 38400;
    char parity = 'E';  // 'N', 'E', 'O'
    int stop_bits = 1;
    bool crlf = false;  // append CR LF to what we send (Xcom-232i in Xcom-LAN mode)
    bool operator==(const serial_options&) const = default;
};
struct udp_options {
    std::string remote;  // HOST:PORT to send to; empty = reply to whoever sent last
    std::string local;   // HOST:PORT to receive on
    bool operator==(const udp_options&) const = default;
};
struct tcp_server_options {
    std::string listen;  // HOST:PORT; a new connection replaces the current one
    bool operator==(const tcp_server_options&) const = default;
};
struct tcp_client_options {
    std::string connect;  // HOST:PORT
    bool operator==(const tcp_client_options&) const = default;
};

using link_options =
    std::variant<serial_options, udp_options, tcp_server_options, tcp_client_options>;

}  // namespace vx::transport
