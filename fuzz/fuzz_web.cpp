// libFuzzer: the web view's parsers and answers below the socket - request targets (paths,
// percent escapes, queries) through the API, and a page's WebSocket messages through its live
// view - on a unit with every value type. Must never crash; every request gets a status.
#include <cstdint>
#include <memory>
#include <string_view>

#include "static_unit.hpp"
#include "vxbridge/web/view_model.hpp"

namespace {
struct fixture : vx::fuzz::static_unit {
    std::shared_ptr<vx::modbus::write_journal> journal =
        std::make_shared<vx::modbus::write_journal>();
    vx::web::sources src;
    vx::web::ess_history history;
    fixture() {
        vx::modbus::write_record w;
        w.unit = 1;
        w.function = 16;
        w.address = 100;
        w.values = {0xFE0C};
        journal->record(w);
        src.router = [r = router] { return std::shared_ptr<const vx::modbus::unit_router>(r); };
        src.writes = journal;
        src.ess = [] {
            return std::vector<vx::web::ess_source>{
                {"multi", [] {
                     return vx::web::figures{{"ess_grid_w", 12.5}, {"ess_state", 1}};
                 }}};
        };
        history.sample(src.ess(), std::chrono::system_clock::now());
    }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static fixture f;
    if (size < 1) return 0;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    const auto now = std::chrono::steady_clock::now();
    if (data[0] & 1) {
        vx::web::live_view v;
        if (v.apply(text).empty()) (void)v.update(f.src, f.history, now);
        return 0;
    }
    const auto r = vx::web::answer(data[0] & 2 ? "HEAD" : "GET", text, f.src, f.history, now);
    if (r.status < 200 || r.status > 599 || r.body.empty()) __builtin_trap();
    return 0;
}
