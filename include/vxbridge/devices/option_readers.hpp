// Readers shared by the drivers' option readers: durations, and the byte-link `transport:`
// block (Xcom today, Modbus-client devices next).
#pragma once

#include <chrono>
#include <optional>

#include "vxbridge/register_map/yaml_fields.hpp"
#include "vxbridge/transport/options.hpp"

namespace vx::devices {

// A duration in seconds within [lo, hi], or nullopt (absent, or a problem reported).
std::optional<std::chrono::milliseconds> read_seconds(register_map::yaml_fields& f, const char* key,
                                                      double lo, double hi);

// transport: exactly one of {udp: {remote, local}}, {serial: {port, baud, parity, stop_bits,
// crlf}}, {tcp_server: {listen}}, {tcp_client: {connect}}; nullopt when absent or wrong.
// `serial` takes what the entry leaves out from `serial_defaults` (38400 8E1 for Xcom, 9600 8N1
// for meters).
std::optional<transport::link_options> read_transport(
    register_map::yaml_fields& f, const char* key = "transport",
    const transport::serial_options& serial_defaults = {});

}  // namespace vx::devices
