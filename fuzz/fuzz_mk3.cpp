// libFuzzer: the MK3 stream parser and the reply decoders on arbitrary bytes.
#include <cstdint>

#include "vxbridge/devices/vebus/multi_state.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    vx::devices::vebus::frame_parser p;
    vx::devices::vebus::multi_state s;
    // Feed in two pieces to exercise frames split across reads.
    const std::size_t half = size / 2;
    p.feed(std::span(data, half));
    p.feed(std::span(data + half, size - half));
    const std::uint8_t ids[] = {4, 5, 13};
    while (auto f = p.next()) {
        const auto again = vx::devices::vebus::encode(*f);
        vx::devices::vebus::frame back;
        if (vx::devices::vebus::decode(again, back) != vx::devices::vebus::decode_error::none ||
            !(back == *f))
            __builtin_trap();
        s.unsolicited(*f);
        s.apply(vx::devices::vebus::info_request(1), *f);
        s.apply(vx::devices::vebus::info_request(0), *f);
        s.apply(vx::devices::vebus::info_request(5), *f);
        s.apply(vx::devices::vebus::read_ram_request('X', ids), *f);
        s.apply(vx::devices::vebus::ram_info_request('X', 5), *f);
        s.apply(vx::devices::vebus::led_request(), *f);
    }
    for (const auto& n : vx::devices::vebus::multi_state::point_names()) (void)s.point(n);
    return 0;
}
