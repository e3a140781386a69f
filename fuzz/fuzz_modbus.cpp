// libFuzzer: the Modbus TCP request path below the socket — PDU decoding and request handling
// on a unit with every value type, coils, limits and a device. Must never crash or hang.
#include <cstdint>
#include <memory>

#include "static_unit.hpp"
#include "vxbridge/modbus/request_handler.hpp"

namespace {
struct fixture : vx::fuzz::static_unit {
    std::unique_ptr<vx::modbus::request_handler> handler =
        std::make_unique<vx::modbus::request_handler>(router, vx::modbus::handler_options{});
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    if (size < 1) return 0;
    std::vector<std::uint8_t> out;
    auto job = f.handler->handle(data[0], std::span(data + 1, size - 1), out);
    if (job) {
        job->start([&](std::vector<std::uint8_t> pdu) { out = std::move(pdu); },
                   std::chrono::steady_clock::time_point::max());
        f.io.restart();
        f.io.poll();
    }
    if (out.empty() && !job) __builtin_trap();  // every request gets an answer
    return 0;
}
