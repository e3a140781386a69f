// libFuzzer: the map loader and the site-config loader on arbitrary text (the same input is
// tried as both). They must collect problems, never crash.
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>

#include "vxbridge/config/site_config.hpp"
#include "vxbridge/devices/modbus_client/client_options.hpp"
#include "vxbridge/devices/static_driver/static_options.hpp"
#include "vxbridge/devices/vebus/vebus_options.hpp"
#include "vxbridge/devices/xcom/xcom_options.hpp"
#include "vxbridge/register_map/map_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string dir = [] {
        std::string t = "/tmp/vxb-fuzz-XXXXXX";
        return std::string(mkdtemp(t.data()));
    }();
    const std::string file = dir + "/input.yaml";
    {
        std::ofstream(file, std::ios::binary)
            .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    vx::core::diagnostics d;
    (void)vx::register_map::load_map(file, d);
    vx::core::diagnostics d2;
    // The drivers' option readers, as the product registers them (without their factories).
    static const auto drivers = [] {
        vx::devices::driver_registry r;
        r.add(vx::devices::static_driver::options());
        r.add(vx::devices::vebus::options());
        r.add(vx::devices::xcom::options());
        r.add(vx::devices::modbus_client::options());
        return r;
    }();
    (void)vx::config::load_site_config(file, d2, drivers);
    return 0;
}
