#include "vxbridge/app/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <unistd.h>

namespace vx::app {

void init_logging(const std::string& level) {
    static const bool once = [] {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        // Under systemd the journal stamps each line itself.
        sink->set_pattern(getenv("JOURNAL_STREAM") ? "<%l> %n: %v" : "%H:%M:%S.%e %-5l %n: %v");
        for (const char* name : {"app", "modbus", "config", "devices", "vebus", "xcom"})
            spdlog::register_logger(std::make_shared<spdlog::logger>(name, sink));
        spdlog::flush_on(spdlog::level::info);
        return true;
    }();
    (void)once;
    spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace vx::app
