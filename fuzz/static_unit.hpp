// The fuzzers' unit: the static example map (every value type, coils, limits, enums) bound to
// the static driver as unit 1 of a router - what fuzz_modbus and fuzz_web feed their input to.
#pragma once

#include <boost/asio/io_context.hpp>
#include <memory>

#include "vxbridge/devices/static_driver/static_device.hpp"
#include "vxbridge/modbus/unit_binder.hpp"
#include "vxbridge/register_map/map_loader.hpp"

namespace vx::fuzz {

struct static_unit {
    boost::asio::io_context io;
    std::shared_ptr<devices::static_driver::static_device> dev =
        std::make_shared<devices::static_driver::static_device>(
            "mem", io.get_executor(), devices::static_driver::static_options{});
    std::shared_ptr<devices::point_store> store = std::make_shared<devices::point_store>();
    std::shared_ptr<modbus::unit_router> router = std::make_shared<modbus::unit_router>();

    static_unit() {
        auto map = register_map::load_map_or_throw(VXBRIDGE_SOURCE_DIR
                                                   "/maps/examples/static-example.yaml");
        core::diagnostics diag;
        router->add(modbus::unit_binder(store).bind({1, "mem", 0, map, dev}, diag));
    }
};

}  // namespace vx::fuzz
