#include "vxbridge/modbus/rtu_frame.hpp"

namespace vx::modbus::rtu {

std::uint16_t crc16(std::span<const std::uint8_t> bytes) {
    std::uint16_t crc = 0xFFFF;
    for (const auto b : bytes) {
        crc ^= b;
        for (int i = 0; i < 8; ++i) crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    return crc;
}

void append_crc(std::vector<std::uint8_t>& frame) {
    const auto c = crc16(frame);
    frame.push_back(static_cast<std::uint8_t>(c & 0xFF));
    frame.push_back(static_cast<std::uint8_t>(c >> 8));
}

bool crc_ok(std::span<const std::uint8_t> frame) {
    if (frame.size() < 4) return false;
    const auto c = crc16(frame.first(frame.size() - 2));
    return frame[frame.size() - 2] == (c & 0xFF) && frame[frame.size() - 1] == (c >> 8);
}

std::optional<std::size_t> request_length(std::span<const std::uint8_t> b) {
    if (b.size() < 2) return 0;
    switch (b[1]) {
        case 0x01:
        case 0x02:
        case 0x03:
        case 0x04:
        case 0x05:
        case 0x06:
        case 0x08:  // diagnostics: sub-function + one data word
            return 8;
        case 0x07:
        case 0x0B:
        case 0x0C:
        case 0x11:
            return 4;
        case 0x0F:
        case 0x10:  // address, count, byte count, data
            if (b.size() < 7) return 0;
            // At most 123 registers / 1968 coils = 246 bytes, or the frame would pass the RTU
            // maximum of 256 bytes (found by fuzz_rtu: the splitter waited for them).
            if (b[6] > 246) return std::nullopt;
            return 9 + std::size_t{b[6]};
        case 0x16:  // mask write
            return 10;
        case 0x17:  // read/write multiple
            if (b.size() < 11) return 0;
            if (b[10] > 242) return std::nullopt;  // at most 121 registers
            return 13 + std::size_t{b[10]};
        case 0x2B:  // encapsulated interface (MEI 0x0E: read device identification)
            return 7;
        default:
            return std::nullopt;
    }
}

std::optional<std::size_t> reply_length(std::span<const std::uint8_t> b) {
    if (b.size() < 2) return 0;
    if (b[1] & 0x80) return 5;
    switch (b[1]) {
        case 0x01:
        case 0x02:
        case 0x03:
        case 0x04:
        case 0x0C:
        case 0x11:
        case 0x17:
            if (b.size() < 3) return 0;
            return 5 + std::size_t{b[2]};
        case 0x05:
        case 0x06:
        case 0x08:
        case 0x0F:
        case 0x10:
            return 8;
        case 0x07:
            return 5;
        case 0x0B:
            return 8;
        case 0x16:
            return 10;
        default:
            return std::nullopt;
    }
}

std::chrono::microseconds t35(int baud) {
    if (baud <= 0 || baud > 19200) return std::chrono::microseconds(1750);
    return std::chrono::microseconds(3'500'000LL * 11 / baud + 1);
}

std::size_t split(std::span<const std::uint8_t> bytes, bool final, std::vector<rtu_piece>& out) {
    std::size_t pos = 0, noise_from = 0;
    bool in_noise = false;
    const auto end_noise = [&] {
        if (in_noise) out.push_back({rtu_piece::kind::noise, noise_from, pos - noise_from});
        in_noise = false;
    };
    while (pos < bytes.size()) {
        const auto rest = bytes.subspan(pos);
        const auto req = request_length(rest);
        if (req && *req > 0 && *req <= rest.size() && crc_ok(rest.first(*req))) {
            end_noise();
            out.push_back({rtu_piece::kind::request, pos, *req});
            pos += *req;
            continue;
        }
        const auto rep = reply_length(rest);
        if (rep && *rep > 0 && *rep <= rest.size() && crc_ok(rest.first(*rep))) {
            end_noise();
            out.push_back({rtu_piece::kind::reply, pos, *rep});
            pos += *rep;
            continue;
        }
        // Not (yet) a whole frame here. On a stream, a frame that may still be arriving is
        // waited for (a stream that never completes it hits the connection's frame timeout).
        const bool may_grow = (req && (*req == 0 || *req > rest.size())) ||
                              (rep && (*rep == 0 || *rep > rest.size()));
        if (!final && may_grow) {
            // Unless a whole request with a good CRC starts further on: then what lies before
            // it is noise (a bad CRC, half a frame) that only looked like a longer frame.
            std::size_t next = pos + 1;
            for (; next < bytes.size(); ++next) {
                const auto r = bytes.subspan(next);
                const auto l = request_length(r);
                if (l && *l > 0 && *l <= r.size() && crc_ok(r.first(*l))) break;
            }
            if (next >= bytes.size()) break;  // wait for the rest of this frame
            if (!in_noise) noise_from = pos;
            in_noise = true;
            pos = next;
            continue;
        }
        if (!in_noise) noise_from = pos;
        in_noise = true;
        ++pos;
    }
    end_noise();
    return pos;
}

}  // namespace vx::modbus::rtu
