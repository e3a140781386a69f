#include "vxbridge/web/view_model.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <nlohmann/json.hpp>

#include "vxbridge/register_map/value_codec.hpp"
#include "vxbridge/web/assets.hpp"

namespace vx::web {

namespace rm = register_map;
using json = nlohmann::json;

namespace {

constexpr auto kOverviewEvery = std::chrono::seconds(1);
constexpr auto kEssEvery = std::chrono::seconds(1);

double seconds(steady::duration d) {
    return std::round(std::chrono::duration<double>(d).count() * 10.0) / 10.0;
}

json number_or_null(std::optional<double> v) {
    if (!v || !std::isfinite(*v)) return nullptr;
    return *v;
}

json to_json(const core::value& v) {
    if (const auto* d = std::get_if<double>(&v)) return number_or_null(*d);
    if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
    if (const auto* s = std::get_if<std::string>(&v)) return *s;
    return nullptr;
}

std::string iso_time(wall::time_point t) {
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch());
    const std::time_t secs = static_cast<std::time_t>(ms.count() / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%.*s.%03dZ", static_cast<int>(n), buf,
                  static_cast<int>(ms.count() % 1000));
    return out;
}

// Row keys: the table's letter and the entry's address ("h840", "i3000", "c0", "d2").
char letter_of(rm::table_kind t) {
    switch (t) {
        case rm::table_kind::holding:
            return 'h';
        case rm::table_kind::input:
            return 'i';
        case rm::table_kind::coils:
            return 'c';
        case rm::table_kind::discrete_inputs:
            return 'd';
    }
    return 'h';
}

std::string key_of(rm::table_kind t, std::uint16_t address) {
    return letter_of(t) + std::to_string(address);
}

// The entry a key names on unit u, if any.
std::optional<rm::entry_ref> resolve(const modbus::unit& u, std::string_view key) {
    if (key.size() < 2 || key.size() > 6) return std::nullopt;
    rm::table_kind t;
    switch (key[0]) {
        case 'h':
            t = rm::table_kind::holding;
            break;
        case 'i':
            t = u.image->map().separate_tables ? rm::table_kind::input : rm::table_kind::holding;
            break;
        case 'c':
            t = rm::table_kind::coils;
            break;
        case 'd':
            t = rm::table_kind::discrete_inputs;
            break;
        default:
            return std::nullopt;
    }
    std::uint32_t addr = 0;
    for (const char c : key.substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
        addr = addr * 10 + static_cast<std::uint32_t>(c - '0');
    }
    if (addr > 0xFFFF) return std::nullopt;
    rm::entry_ref ref;
    if (!u.image->entry_at(t, addr, &ref)) return std::nullopt;
    return ref;
}

std::int64_t stamp_of(const rm::register_image::entry_state& s) {
    return s.stamp ? s.stamp->time_since_epoch().count() : 0;
}

// What changes of a row: the words a read returns, the value behind them, freshness and age.
void put_live(json& j, const rm::register_entry& e, const rm::register_image::entry_state& s,
              steady::time_point now) {
    j["words"] = s.served;
    const auto v = s.present ? rm::decode(e, s.last) : core::value{};
    j["value"] = to_json(v);
    if (const auto d = core::as_double(v); d && std::floor(*d) == *d && !e.enumeration.empty())
        if (const auto it = e.enumeration.find(static_cast<std::int64_t>(*d));
            it != e.enumeration.end())
            j["text"] = it->second;
    j["present"] = s.present;
    j["fresh"] = s.fresh;
    j["exception"] = s.exception;
    j["constant"] = s.present && !s.stamp;
    j["age_s"] = s.stamp ? json(seconds(now - *s.stamp)) : json(nullptr);
}

json row_json(const modbus::unit& u, rm::entry_ref r, steady::time_point now) {
    const auto& e = u.image->entry(r);
    json j;
    j["key"] = key_of(r.table, e.address);
    j["table"] = rm::name_of(r.table);
    j["address"] = e.address;
    j["name"] = e.name;
    j["type"] = rm::name_of(e.type);
    j["width"] = e.width();
    j["unit"] = e.unit;
    j["access"] = e.access == rm::access_mode::rw ? "rw" : "r";
    j["source"] = e.source ? json(e.source->id()) : json(nullptr);
    if (!e.description.empty()) j["description"] = e.description;
    put_live(j, e, u.image->inspect(r, now), now);
    return j;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The filter of the unit page: a number matches that address, any text a part of the name.
bool matches(const rm::register_entry& e, const std::string& filter) {
    if (filter.empty()) return true;
    const auto f = lower(filter);
    if (std::all_of(f.begin(), f.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        f.size() <= 5 && std::stoul(f) == e.address)
        return true;
    return lower(e.name).find(f) != std::string::npos;
}

json unit_summary(const modbus::unit& u) {
    return {{"id", u.id},
            {"map", u.image->map().name},
            {"device", u.device_name},
            {"online", u.online()},
            {"registers", u.image->size()}};
}

json units_json(const sources& src) {
    json units = json::array();
    if (const auto router = src.router ? src.router() : nullptr)
        for (const auto* u : router->all()) units.push_back(unit_summary(*u));
    return units;
}

json overview_json(const sources& src, steady::time_point now) {
    json site = {{"file", src.site_file},
                 {"check", src.check ? src.check() : std::string("ok")},
                 {"version", VXBRIDGE_VERSION},
                 {"uptime_s", seconds(now - src.started)},
                 {"time", iso_time(wall::now())}};
    json modbus = {{"endpoints", src.endpoints ? src.endpoints() : std::vector<std::string>{}}};
    if (src.stats) {
        const auto& s = *src.stats;
        modbus["connections_open"] = s.connections_open.load();
        modbus["connections_total"] = s.connections_total.load();
        modbus["connections_refused"] = s.connections_refused.load();
        modbus["requests"] = s.requests.load();
        modbus["exceptions"] = s.exceptions.load();
        modbus["malformed"] = s.malformed.load();
    }
    json devices = json::array();
    if (src.devices)
        for (const auto& d : src.devices()) {
            const auto& l = d.link;
            devices.push_back({{"name", d.name},
                               {"driver", d.driver},
                               {"up", l.up},
                               {"last_good_age_s", l.last_good == steady::time_point{}
                                                       ? json(nullptr)
                                                       : json(seconds(now - l.last_good))},
                               {"requests", l.requests},
                               {"timeouts", l.timeouts},
                               {"checksum_errors", l.checksum_errors},
                               {"reconnects", l.reconnects},
                               {"cycle_ms", std::round(l.cycle_ms)},
                               {"queue_depth", l.queue_depth}});
        }
    json ess = json::array();
    if (src.ess)
        for (const auto& e : src.ess()) ess.push_back(e.name);
    return {{"site", std::move(site)},       {"modbus", std::move(modbus)},
            {"devices", std::move(devices)}, {"units", units_json(src)},
            {"ess", std::move(ess)},         {"writes", src.writes ? src.writes->count() : 0}};
}

// The unit table is written row by row, without a document of every row (a 1,500-register
// table as one nlohmann document is ~3 MB of small blocks the heap keeps after the answer).
std::string unit_text(const modbus::unit& u, const std::string& filter, steady::time_point now) {
    json head = unit_summary(u);
    head["separate_tables"] = u.image->map().separate_tables;
    head["max_age_s"] = u.image->map().max_age;
    std::string out = head.dump(-1, ' ', false, json::error_handler_t::replace);
    out.pop_back();  // the closing brace: the rows follow
    out += ",\"rows\":[";
    bool first = true;
    for (const auto r : u.image->entries()) {
        if (!matches(u.image->entry(r), filter)) continue;
        if (!first) out += ',';
        first = false;
        out += row_json(u, r, now).dump(-1, ' ', false, json::error_handler_t::replace);
    }
    out += "]}";
    return out;
}

const char* exception_text(std::uint8_t code) {
    switch (code) {
        case 0:
            return "ok";
        case 0x01:
            return "0x01 illegal function";
        case 0x02:
            return "0x02 illegal data address";
        case 0x03:
            return "0x03 illegal data value";
        case 0x04:
            return "0x04 device failure (refused)";
        case 0x06:
            return "0x06 device busy";
        case 0x0A:
            return "0x0A gateway path unavailable";
        case 0x0B:
            return "0x0B no answer from the device";
        default:
            return "exception";
    }
}

json write_json(const modbus::write_record& w, const modbus::unit_router* router) {
    json j = {{"seq", w.seq},
              {"time", iso_time(w.at)},
              {"client", w.client},
              {"unit", w.unit},
              {"function", w.function},
              {"address", w.address},
              {"values", w.values},
              {"exception", w.exception},
              {"outcome", exception_text(w.exception)},
              {"latency_ms", std::round(static_cast<double>(w.latency.count()) / 100.0) / 10.0}};
    // The register's name, and the engineering value when the write covers one whole entry.
    const bool bits = w.function == 5 || w.function == 15;
    const auto* u = router ? router->find(w.unit) : nullptr;
    if (u) {
        const auto t = bits ? rm::table_kind::coils : rm::table_kind::holding;
        if (const auto* e = u->image->entry_covering(t, w.address)) {
            j["register"] = e->name;
            j["unit_of_value"] = e->unit;
            if (e->address == w.address && e->width() <= w.values.size())
                j["value"] = to_json(rm::decode(*e, std::span(w.values).first(e->width())));
        }
    }
    return j;
}

json writes_json(const sources& src, std::uint64_t after) {
    json list = json::array();
    if (!src.writes) return list;
    const auto router = src.router ? src.router() : nullptr;
    for (const auto& w : src.writes->recent())
        if (w.seq > after) list.push_back(write_json(w, router.get()));
    return list;
}

json ess_json(const sources& src, const ess_history& history, bool with_history) {
    json loops = json::array();
    if (!src.ess) return loops;
    for (const auto& e : src.ess()) {
        json figures = json::object();
        for (const auto& [name, v] : e.read()) figures[name] = to_json(v);
        json loop = {{"name", e.name}, {"figures", std::move(figures)}};
        const auto& h = history.of(e.name);
        auto point = [](const ess_history::point& p) {
            return json::array({p.t_ms, number_or_null(p.grid), number_or_null(p.target),
                                number_or_null(p.setpoint)});
        };
        if (with_history) {
            json samples = json::array();
            for (const auto& p : h) samples.push_back(point(p));
            loop["history"] = std::move(samples);
        } else if (!h.empty()) {
            loop["latest"] = point(h.back());
        }
        loops.push_back(std::move(loop));
    }
    return loops;
}

http_response json_response(const json& j, unsigned status = 200) {
    http_response r;
    r.status = status;
    r.body = j.dump(-1, ' ', false, json::error_handler_t::replace);
    return r;
}

http_response error(unsigned status, std::string_view why) {
    http_response r;
    r.status = status;
    r.body = error_json(why);
    return r;
}

int hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out.push_back(' ');
        } else if (s[i] == '%') {
            if (i + 2 >= s.size()) return std::nullopt;
            const int h = hex(s[i + 1]), l = hex(s[i + 2]);
            if (h < 0 || l < 0) return std::nullopt;
            out.push_back(static_cast<char>(h * 16 + l));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

std::optional<int> unit_id_of(std::string_view s) {
    if (s.empty() || s.size() > 3) return std::nullopt;
    int n = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + (c - '0');
    }
    if (n > 255) return std::nullopt;
    return n;
}

}  // namespace

std::string error_json(std::string_view why, bool message) {
    json j = {{"error", why}};
    if (message) j["type"] = "error";
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

void ess_history::sample(const std::vector<ess_source>& loops, wall::time_point now) {
    const auto t =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    for (const auto& l : loops) {
        point p;
        p.t_ms = t;
        for (const auto& [name, v] : l.read()) {
            if (name == "ess_grid_w") p.grid = core::as_double(v);
            if (name == "ess_target_w") p.target = core::as_double(v);
            if (name == "ess_setpoint_w") p.setpoint = core::as_double(v);
        }
        auto& q = points_[l.name];
        q.push_back(p);
        while (q.size() > kSamples) q.pop_front();
    }
}

const std::deque<ess_history::point>& ess_history::of(const std::string& loop) const {
    static const std::deque<point> none;
    const auto it = points_.find(loop);
    return it == points_.end() ? none : it->second;
}

parsed_target parse_target(std::string_view target) {
    parsed_target out;
    if (target.empty() || target[0] != '/') return out;
    const auto q = target.find('?');
    auto path = percent_decode(target.substr(0, q));
    if (!path) return out;
    out.path = std::move(*path);
    if (q != std::string_view::npos) {
        auto rest = target.substr(q + 1);
        while (!rest.empty()) {
            const auto amp = rest.find('&');
            const auto pair = rest.substr(0, amp);
            rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
            if (pair.empty()) continue;
            const auto eq = pair.find('=');
            auto k = percent_decode(pair.substr(0, eq));
            auto v = percent_decode(eq == std::string_view::npos ? std::string_view{}
                                                                 : pair.substr(eq + 1));
            if (!k || !v) return out;
            out.query[std::move(*k)] = std::move(*v);
        }
    }
    out.ok = true;
    return out;
}

http_response answer(std::string_view method, std::string_view target, const sources& src,
                     const ess_history& history, steady::time_point now) {
    if (method != "GET" && method != "HEAD") {
        auto r = error(405, "read-only: the view answers GET and HEAD");
        r.allow = "GET, HEAD";
        return r;
    }
    if (target.size() > kMaxTarget) return error(414, "request target too long");
    const auto t = parse_target(target);
    if (!t.ok) return error(400, "bad request target");
    const auto& path = t.path;
    if (path.rfind("/api/", 0) != 0 && path != "/api") {
        const auto a = find_asset(path);
        if (!a) return error(404, "no such page");
        http_response r;
        r.content_type = std::string(content_type_of(a->path));
        r.body = std::string(a->body);
        r.cache = true;
        return r;
    }
    const auto query = [&](const char* k) {
        const auto it = t.query.find(k);
        return it == t.query.end() ? std::string{} : it->second;
    };
    if (path == "/api" || path == "/api/")
        return json_response({{"endpoints",
                               {"/api/overview", "/api/units", "/api/units/{id}?filter=TEXT",
                                "/api/writes?after=SEQ", "/api/ess", "/api/ess/history"}},
                              {"websocket", "/ws"}});
    if (path == "/api/overview") return json_response(overview_json(src, now));
    if (path == "/api/units") return json_response(units_json(src));
    if (path.rfind("/api/units/", 0) == 0) {
        const auto id = unit_id_of(std::string_view(path).substr(11));
        if (!id) return error(400, "a unit id is 0..255");
        const auto router = src.router ? src.router() : nullptr;
        const auto* u = router ? router->find(static_cast<std::uint8_t>(*id)) : nullptr;
        if (!u) return error(404, "no unit " + std::to_string(*id));
        http_response r;
        r.body = unit_text(*u, query("filter"), now);
        return r;
    }
    if (path == "/api/writes") {
        std::uint64_t after = 0;
        const auto a = query("after");
        if (!a.empty()) {
            if (a.size() > 19 || !std::all_of(a.begin(), a.end(), ::isdigit))
                return error(400, "after=SEQ takes a number");
            after = std::stoull(a);
        }
        return json_response(
            {{"count", src.writes ? src.writes->count() : 0}, {"writes", writes_json(src, after)}});
    }
    if (path == "/api/ess") return json_response({{"loops", ess_json(src, history, false)}});
    if (path == "/api/ess/history")
        return json_response({{"period_s", 1},
                              {"span_s", ess_history::kSamples},
                              {"loops", ess_json(src, history, true)}});
    return error(404, "no such API path (see /api)");
}

std::string live_view::apply(std::string_view message) {
    const auto j = json::parse(message, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return "a message is a JSON object";
    int unit = -1;
    std::vector<std::string> keys;
    bool overview = false, writes = false, ess = false;
    if (const auto it = j.find("unit"); it != j.end() && !it->is_null()) {
        if (!it->is_number_integer() || it->get<std::int64_t>() < 0 ||
            it->get<std::int64_t>() > 255)
            return "'unit' is a unit id 0..255";
        unit = it->get<int>();
    }
    if (const auto it = j.find("keys"); it != j.end()) {
        if (!it->is_array() || it->size() > kMaxKeys)
            return "'keys' is a list of at most " + std::to_string(kMaxKeys) + " row keys";
        for (const auto& k : *it) {
            if (!k.is_string() || k.get_ref<const std::string&>().size() > 8)
                return "a row key is a string like \"h840\"";
            keys.push_back(k.get<std::string>());
        }
    }
    if (const auto it = j.find("topics"); it != j.end()) {
        if (!it->is_array()) return "'topics' is a list of overview, writes, ess";
        for (const auto& t : *it) {
            if (!t.is_string()) return "'topics' is a list of overview, writes, ess";
            const auto& s = t.get_ref<const std::string&>();
            if (s == "overview")
                overview = true;
            else if (s == "writes")
                writes = true;
            else if (s == "ess")
                ess = true;
            else
                return "unknown topic '" + s.substr(0, 32) + "' (overview, writes, ess)";
        }
    }
    if (unit != unit_) sent_.clear();
    unit_ = unit;
    keys_ = std::move(keys);
    unit_gone_sent_ = false;
    // A newly wanted topic is sent at the next update, not a second later.
    if (overview && !overview_) last_overview_.reset();
    if (ess && !ess_) last_ess_.reset();
    if (writes && !writes_) writes_seen_ = 0;
    overview_ = overview;
    writes_ = writes;
    ess_ = ess;
    // Rows no longer on screen are forgotten: when they come back they are sent again.
    for (auto it = sent_.begin(); it != sent_.end();)
        it = std::find(keys_.begin(), keys_.end(), it->first) == keys_.end() ? sent_.erase(it)
                                                                             : std::next(it);
    return {};
}

std::string live_view::update(const sources& src, const ess_history& history,
                              steady::time_point now) {
    json out = {{"type", "update"}};
    if (unit_ >= 0 && !keys_.empty()) {
        const auto router = src.router ? src.router() : nullptr;
        const auto* u = router ? router->find(static_cast<std::uint8_t>(unit_)) : nullptr;
        if (!u) {
            if (!unit_gone_sent_) out["unit_gone"] = unit_;
            unit_gone_sent_ = true;
        } else {
            unit_gone_sent_ = false;
            json rows = json::array();
            for (const auto& key : keys_) {
                const auto ref = resolve(*u, key);
                if (!ref) continue;
                const auto s = u->image->inspect(*ref, now);
                sent_row now_row{s.served, s.fresh, stamp_of(s)};
                const auto [it, fresh_key] = sent_.try_emplace(key, now_row);
                if (!fresh_key) {
                    auto& last = it->second;
                    if (last.words == now_row.words && last.fresh == now_row.fresh &&
                        last.stamp == now_row.stamp)
                        continue;
                    last = std::move(now_row);
                }
                json row = {{"key", key}};
                put_live(row, u->image->entry(*ref), s, now);
                rows.push_back(std::move(row));
            }
            if (!rows.empty()) {
                out["unit"] = unit_;
                out["rows"] = std::move(rows);
            }
        }
    }
    if (overview_ && (!last_overview_ || now - *last_overview_ >= kOverviewEvery)) {
        last_overview_ = now;
        out["overview"] = overview_json(src, now);
    }
    if (ess_ && (!last_ess_ || now - *last_ess_ >= kEssEvery)) {
        last_ess_ = now;
        out["ess"] = ess_json(src, history, false);
    }
    if (writes_ && src.writes && src.writes->count() != writes_seen_) {
        out["writes"] = writes_json(src, writes_seen_);
        writes_seen_ = src.writes->count();
    }
    if (out.size() == 1) return {};
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace vx::web
