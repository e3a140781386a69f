// libFuzzer: the SCOM stream parser, value and multi-info decoders, and the simulated Xcom
// answering whatever frames come out.
#include <cstdint>

#include "vxbridge/devices/xcom/xcom_sim.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static vx::devices::xcom::xcom_sim sim;
    vx::devices::xcom::frame_parser p;
    p.feed(std::span(data, size));
    while (auto f = p.next()) {
        const auto again = vx::devices::xcom::encode(*f);
        vx::devices::xcom::frame back;
        if (vx::devices::xcom::decode(again, back) != vx::devices::xcom::decode_error::none ||
            !(back == *f))
            __builtin_trap();
        (void)vx::devices::xcom::parse_multi_info(*f);
        for (auto fmt :
             {vx::devices::xcom::data_format::float32, vx::devices::xcom::data_format::boolean,
              vx::devices::xcom::data_format::int32, vx::devices::xcom::data_format::short_enum})
            (void)vx::devices::xcom::decode_value(fmt, f->data);
        (void)sim.handle(*f, vx::devices::xcom::xcom_sim::clock::now());
    }
    return 0;
}
