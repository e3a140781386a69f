// Options of the Modbus TCP server and of RTU over TCP: limits, deadlines, allow-list.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace vx::modbus {

struct tcp_options {
    std::string listen = "127.0.0.1:1502";
    std::size_t max_connections = 256;
    std::chrono::milliseconds idle_timeout{60'000};  // no request for this long -> close
    std::chrono::milliseconds frame_timeout{2'000};  // a started frame must complete in this time
    std::chrono::milliseconds write_timeout{5'000};  // a device must confirm a write in this time
    std::vector<std::string> allow;                  // CIDRs allowed to connect; empty = anyone
    // rtu: RTU frames (unit, PDU, CRC) on the connection, as behind a transparent serial-to-
    // Ethernet converter: requests for units we do not serve and bad CRCs get no answer.
    enum class framing { mbap, rtu } frames = framing::mbap;
};

}  // namespace vx::modbus
