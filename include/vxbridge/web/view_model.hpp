// The commissioning view's content without its transport: the JSON API's answers, the live
// updates one open page gets over its WebSocket, and the ESS plot's history. Pure apart from
// reading the sources, so it is tested (and fuzzed) without sockets; web_server only moves the
// strings (nlohmann-json stays in this TU, Beast in web_server.cpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vxbridge/web/sources.hpp"

namespace vx::web {

using steady = std::chrono::steady_clock;
using wall = std::chrono::system_clock;

// Every ESS loop's measured grid, target and setpoint over the last 10 minutes, a sample a
// second (the plot on the ESS page), kept from start-up whether a page is open or not.
class ess_history {
  public:
    static constexpr std::size_t kSamples = 600;
    struct point {
        std::int64_t t_ms = 0;  // Unix time
        std::optional<double> grid, target, setpoint;
    };
    void sample(const std::vector<ess_source>& loops, wall::time_point now);
    const std::deque<point>& of(const std::string& loop) const;

  private:
    std::map<std::string, std::deque<point>> points_;
};

// The longest request target served; longer ones get 414.
constexpr std::size_t kMaxTarget = 2048;

struct http_response {
    unsigned status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::string allow;   // for 405: the methods this server answers
    bool cache = false;  // the page's assets (compiled in) may be cached; API answers not
};

// A request target split into its path and percent-decoded query parameters; ok = false for a
// malformed escape or a target that is not a path.
struct parsed_target {
    std::string path;
    std::map<std::string, std::string> query;
    bool ok = false;
};
parsed_target parse_target(std::string_view target);

// {"error": why} (an HTTP answer's body), or {"type": "error", "error": why} (a WebSocket
// message to a page) with `message`.
std::string error_json(std::string_view why, bool message = false);

// Answers one HTTP request: the page and its assets, /api/... as JSON. The view is read-only:
// GET and HEAD only (405 otherwise), 414 for targets over kMaxTarget, 404 for the rest.
http_response answer(std::string_view method, std::string_view target, const sources& src,
                     const ess_history& history, steady::time_point now);

// One open page's subscription over its WebSocket: the rows it shows of one unit, and which of
// overview / writes / ess it wants. update() says what changed since the last call - rows only
// when their words, freshness or stamp moved - as one JSON message, or "" for nothing.
class live_view {
  public:
    static constexpr std::size_t kMaxKeys = 500;
    // A page's message, e.g. {"unit": 100, "keys": ["h840", "h841"], "topics": ["overview"]};
    // "" when taken, else why not (sent back to the page as an error).
    std::string apply(std::string_view message);
    std::string update(const sources& src, const ess_history& history, steady::time_point now);

  private:
    struct sent_row {
        std::vector<std::uint16_t> words;
        bool fresh = false;
        std::int64_t stamp = 0;
    };
    int unit_ = -1;
    std::vector<std::string> keys_;
    std::map<std::string, sent_row> sent_;
    bool overview_ = false, writes_ = false, ess_ = false, unit_gone_sent_ = false;
    std::uint64_t writes_seen_ = 0;
    std::optional<steady::time_point> last_overview_, last_ess_;
};

}  // namespace vx::web
