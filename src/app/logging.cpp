#include "vxbridge/app/logging.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

namespace vx::app {

namespace {

// "<6>" etc.: the syslog priority prefix journald reads from a service's stderr.
class syslog_priority final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        int p = 6;
        switch (msg.level) {
            case spdlog::level::trace:
            case spdlog::level::debug:
                p = 7;
                break;
            case spdlog::level::info:
                p = 6;
                break;
            case spdlog::level::warn:
                p = 4;
                break;
            case spdlog::level::err:
                p = 3;
                break;
            case spdlog::level::critical:
                p = 2;
                break;
            default:
                break;
        }
        const char text[] = {'<', static_cast<char>('0' + p), '>'};
        dest.append(text, text + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<syslog_priority>();
    }
};

}  // namespace

void init_logging(const std::string& level) {
    static const bool once = [] {
        auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
        // Under systemd the journal stamps each line itself and reads the priority prefix.
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        if (std::getenv("JOURNAL_STREAM"))
            formatter->add_flag<syslog_priority>('*').set_pattern("%*%n: %v");
        else
            formatter->set_pattern("%H:%M:%S.%e %-5l %n: %v");
        sink->set_formatter(std::move(formatter));
        for (const char* name :
             {"app", "modbus", "config", "devices", "vebus", "xcom", "mbclient", "ess"})
            spdlog::register_logger(std::make_shared<spdlog::logger>(name, sink));
        spdlog::flush_on(spdlog::level::info);
        return true;
    }();
    (void)once;
    spdlog::set_level(spdlog::level::from_str(level));
}

}  // namespace vx::app
