// libFuzzer: RTU framing - the line splitter of the RTU bus and RTU over TCP, and the simulated
// meter's request parser, on arbitrary bytes cut as the meter simulator cuts its line: a request
// length never exceeds the RTU maximum (256 bytes), a frame with a good CRC is answered within the
// PDU limit, and cutting always ends. Also the client side's reply-length rule.
#include <cstdint>
#include <span>
#include <string>

#include "vxbridge/devices/modbus_client/meter_sim.hpp"
#include "vxbridge/modbus/rtu_frame.hpp"
#include "vxbridge/register_map/map_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace rtu = vx::modbus::rtu;
    static vx::devices::modbus_client::meter_sim meter(vx::register_map::load_map_or_throw(
        std::string(VXBRIDGE_SOURCE_DIR) + "/maps/meters/em24.yaml"));
    std::span<const std::uint8_t> s(data, size);
    (void)rtu::reply_length(s);
    // The line splitter (serial: final; RTU over TCP: a stream): pieces are in order, inside the
    // input, contiguous, and frames have a good CRC.
    for (const bool final : {true, false}) {
        std::vector<rtu::rtu_piece> pieces;
        const auto used = rtu::split(s, final, pieces);
        if (used > size || (final && used != size)) __builtin_trap();
        std::size_t at = 0;
        for (const auto& p : pieces) {
            if (p.offset != at || p.size == 0 || p.offset + p.size > used) __builtin_trap();
            if (p.what != rtu::rtu_piece::kind::noise &&
                (p.size > 256 || !rtu::crc_ok(s.subspan(p.offset, p.size))))
                __builtin_trap();
            at += p.size;
        }
        if (at != used) __builtin_trap();
    }
    while (!s.empty()) {
        const auto len = rtu::request_length(s);
        if (!len) break;  // unknown function: the simulator drops what it read
        if (*len > 256) __builtin_trap();
        if (*len == 0 || *len > s.size()) break;
        const auto frame = s.first(*len);
        if (rtu::crc_ok(frame)) {
            const auto pdu = meter.handle(frame.subspan(1, frame.size() - 3));
            if (pdu.empty() || pdu.size() > 253) __builtin_trap();
        }
        s = s.subspan(*len);
    }
    return 0;
}
