// libFuzzer: the Modbus TCP request path below the socket — PDU decoding and request handling
// on a unit with every value type, coils, limits and a device. Must never crash or hang.
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <memory>

#include "vxbridge/devices/static_driver/static_device.hpp"
#include "vxbridge/modbus/request_handler.hpp"
#include "vxbridge/modbus/unit_binder.hpp"
#include "vxbridge/register_map/map_loader.hpp"

namespace {
struct fixture {
    boost::asio::io_context io;
    std::shared_ptr<vx::devices::static_driver::static_device> dev;
    std::shared_ptr<vx::devices::point_store> store = std::make_shared<vx::devices::point_store>();
    std::unique_ptr<vx::modbus::request_handler> handler;
    fixture() {
        auto map = vx::register_map::load_map_or_throw(VXBRIDGE_SOURCE_DIR
                                                       "/maps/examples/static-example.yaml");
        dev = std::make_shared<vx::devices::static_driver::static_device>(
            "mem", io.get_executor(), vx::devices::static_driver::static_options{});
        vx::core::diagnostics diag;
        auto u = vx::modbus::unit_binder(store).bind({1, "mem", 0, map, dev}, diag);
        auto router = std::make_shared<vx::modbus::unit_router>();
        router->add(u);
        handler =
            std::make_unique<vx::modbus::request_handler>(router, vx::modbus::handler_options{});
    }
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
