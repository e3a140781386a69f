// libFuzzer: the ESS state file (JSON of numbers) on arbitrary bytes, then into the loop's
// restore: a damaged file is a problem text or values, never a crash, and whatever it holds
// leaves every setting within its range.
#include <cstdint>
#include <string>
#include <string_view>

#include "vxbridge/app/state_file.hpp"
#include "vxbridge/control/ess_loop.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string problem;
    const auto values =
        vx::app::parse_state(std::string_view(reinterpret_cast<const char*>(data), size), problem);
    if (!values) {
        if (problem.empty() && size > 0) __builtin_trap();  // damaged: it must say why
        return 0;
    }
    vx::control::ess_loop loop(vx::control::ess_config{});
    loop.restore(*values);
    const auto now = std::chrono::steady_clock::now();
    for (const auto& d : vx::control::ess_setting_defs()) {
        const auto v = vx::core::as_double(loop.read(d.name, now));
        if (v && (*v < d.lo || *v > d.hi)) __builtin_trap();
    }
    return 0;
}
