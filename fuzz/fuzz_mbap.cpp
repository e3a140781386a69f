// libFuzzer: the MBAP stream splitter on arbitrary bytes. A frame is never larger than what is
// there nor than the largest ADU, an error never consumes, and splitting always ends.
#include <cstdint>
#include <span>

#include "vxbridge/modbus/mbap.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace mbap = vx::modbus::mbap;
    std::span<const std::uint8_t> s(data, size);
    std::vector<std::uint8_t> out;
    while (true) {
        const auto r = mbap::split(s);
        if (r.status != mbap::split_status::frame) break;
        if (r.size > s.size() || r.size < 8 || r.size > 260) __builtin_trap();
        const auto adu = s.first(r.size);
        mbap::append_response(out, adu, mbap::pdu_of(adu));
        if (out.size() < r.size) __builtin_trap();
        s = s.subspan(r.size);
    }
    return 0;
}
