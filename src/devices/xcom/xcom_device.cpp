#include "vxbridge/devices/xcom/xcom_device.hpp"

#include "vxbridge/core/suggest.hpp"
#include "vxbridge/devices/run_owned.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <limits>
#include <tuple>

// Note: no co_await inside an `if`/`while` condition here (GCC 12 miscompiles some of them,
// see docs/vebus.md); coroutine parameters are taken by value.

namespace vx::devices::xcom {

namespace asio = boost::asio;
namespace xc = vx::devices::xcom;
using asio::awaitable;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<spdlog::logger> log() {
    return spdlog::get("xcom");
}

// The Modbus answer for a device's error (issue: DATA_TOO_BIG -> 0x03, ACCESS_DENIED and
// PROPERTY_IS_READ_ONLY -> 0x04, GATEWAY_BUSY -> 0x06, timeout and DEVICE_NOT_FOUND -> 0x0B).
core::outcome status_of(xc::scom_error e) {
    switch (e) {
        case xc::scom_error::data_too_big:
        case xc::scom_error::data_too_small:
        case xc::scom_error::invalid_data:
        case xc::scom_error::invalid_data_length:
            return core::outcome::invalid;
        case xc::scom_error::gateway_busy:
            return core::outcome::busy;
        case xc::scom_error::device_not_found:
        case xc::scom_error::response_timeout:
            return core::outcome::timeout;
        default:
            return core::outcome::refused;
    }
}

std::uint16_t property_id(xc::kind k, int p) {
    if (k == xc::kind::info) return xc::property::value;
    switch (p) {
        case 1:
            return xc::property::min_qsp;
        case 2:
            return xc::property::max_qsp;
        case 3:
            return xc::property::unsaved_value_qsp;
        default:
            return xc::property::value_qsp;  // a read at +0 is the flash value, as on an Xcom-485i
    }
}

const std::vector<std::string>& named_points() {
    static const std::vector<std::string> n = [] {
        std::vector<std::string> all{
            "pending_messages", "message_source",    "message_id", "message_value", "xtender_count",
            "variotrack_count", "variostring_count", "bsp_count",  "link_busy",     "link_values"};
        for (const auto& l : common_link_points()) all.push_back(l);
        return all;
    }();
    return n;
}

}  // namespace

xcom_device::xcom_device(std::string name, asio::any_io_executor exec, xcom_options options,
                         std::shared_ptr<transport::link> link)
    : device(std::move(name)),
      exec_(exec),
      options_(std::move(options)),
      link_(std::move(link)),
      session_(exec),
      commands_(exec),
      hold_(exec),
      online_(options_.offline_after) {
    multi_info_ok_ = options_.multi_info;
}

xcom_device::~xcom_device() {
    if (link_) link_->stop();
}

std::optional<xcom_device::key> xcom_device::key_of(const core::point_spec& p,
                                                    std::string* why) const {
    auto fail = [&](std::string s) -> std::optional<key> {
        if (why) *why = std::move(s);
        return std::nullopt;
    };
    const bool info = p.ref.kind == "info";
    if (!info && p.ref.kind != "param")
        return fail("driver xcom serves {info: N}, {param: N}, {xcom: NAME} and {value: X}, not {" +
                    p.ref.kind + ": ...}" +
                    core::did_you_mean(p.ref.kind, {"info", "param", "xcom", "value"}));
    if (p.device_address == 0)
        return fail("the unit needs 'address:' (the device's SCOM address, e.g. 101)");
    std::uint32_t nr = 0;
    try {
        nr = static_cast<std::uint32_t>(std::stoul(p.ref.key));
    } catch (const std::exception&) {
        return fail("'" + p.ref.key + "' is not a number");
    }
    const auto k = info ? xc::kind::info : xc::kind::parameter;
    const auto address = static_cast<std::uint32_t>(p.device_address);
    if (xc::families_of(address).empty())
        return fail("address " + std::to_string(address) + " is no Studer device");
    if (!xc::find_for_address(address, k, nr))
        return fail(std::string(info ? "info " : "parameter ") + std::to_string(nr) +
                    " does not exist on a " +
                    std::string(xc::name_of(xc::families_of(address).front())) + " (address " +
                    std::to_string(address) + ")");
    prop pr = prop::value;
    for (const auto& [o, v] : p.ref.options) {
        if (o != "property" || info) return fail("unknown source option '" + o + "'");
        if (v == "min")
            pr = prop::min;
        else if (v == "max")
            pr = prop::max;
        else if (v == "ram")
            pr = prop::ram;
        else if (v != "value")
            return fail("property must be value, min, max or ram, not '" + v + "'");
    }
    if (p.writable && (info || pr == prop::min || pr == prop::max))
        return fail("this source is read-only");
    return key{address, k, nr, pr};
}

std::string xcom_device::check_point(const core::point_spec& p) const {
    if (constant_points::handles(p)) return {};
    if (p.ref.kind == "xcom") {
        if (std::find(named_points().begin(), named_points().end(), p.ref.key) ==
            named_points().end())
            return "unknown Xcom point '" + p.ref.key + "'" +
                   core::did_you_mean(p.ref.key, named_points()) + "; {xcom: NAME} knows " +
                   core::list_names(named_points(), named_points().size());
        return p.writable ? "Xcom point '" + p.ref.key + "' is read-only" : std::string{};
    }
    std::string why;
    key_of(p, &why);
    return why;
}

void xcom_device::subscribe(const core::point_spec& p, value_listener l) {
    if (constant_points::handles(p)) return constants_.subscribe(p, std::move(l));
    if (p.ref.kind == "xcom") return named_[p.ref.key].push_back(std::move(l));
    const auto k = key_of(p, nullptr);
    auto& pt = points_[*k];
    pt.dp = xc::find_for_address(k->address, k->k, k->nr);
    pt.poll = k->p == prop::min || k->p == prop::max ? core::poll_class::once
              : k->k == xc::kind::info               ? core::poll_class::fast
                                                     : core::poll_class::slow;
    pt.listeners.push_back(std::move(l));
    if (p.last_read) pt.demand.push_back(p.last_read);
}

void xcom_device::write(const core::point_spec& p, const core::value& v, core::write_done done,
                        time_point deadline) {
    if (constant_points::handles(p)) {
        constants_.store(p, v);
        return done(core::make_result(core::outcome::ok));
    }
    const auto k = key_of(p, nullptr);
    if (!k) return done(core::make_result(core::outcome::refused));
    asio::post(exec_, [self = shared_from_this(), k = *k, persist = p.persist, v,
                       done = std::move(done), deadline]() mutable {
        if (self->stopping_) return done(core::make_result(core::outcome::offline));
        // Ends a pause.
        self->commands_.push({k, persist, std::move(v), std::move(done), deadline});
    });
}

link_status xcom_device::status() const {
    return {online_.up(),
            online_.last_good(),
            session_.stats().requests,
            session_.stats().timeouts,
            parser_.checksum_errors(),
            link_ ? link_->counters().reconnects : 0,
            pass_ms_,
            commands_.size()};
}

void xcom_device::start() {
    if (!link_) link_ = transport::make_link(exec_, options_.transport);
    link_->on_data = [this](std::span<const std::uint8_t> b) { on_data(b); };
    link_->on_state = [this](bool up, const std::string& why) {
        if (up)
            log()->info("{}: link up ({}: {})", name(), link_->describe(), why);
        else
            log()->warn("{}: link down ({}: {})", name(), link_->describe(), why);
        if (!up) session_.cancel();  // the request in flight ends now, not at its timeout
        commands_.wake();
        hold_.cancel();
    };
    link_->start();
    asio::co_spawn(exec_, run_owned(shared_from_this(), &xcom_device::run), asio::detached);
}

void xcom_device::stop() {
    stopping_ = true;
    if (link_) link_->stop();
    commands_.wake();
    hold_.cancel();
    session_.cancel();
    commands_.fail_all(core::outcome::offline, "stopping");
}

// Frames from the link: the awaited response, or something else (the portal's traffic).
void xcom_device::on_data(std::span<const std::uint8_t> bytes) {
    parser_.feed(bytes);
    while (auto f = parser_.next()) {
        if (!session_.offer(*f)) {
            ++stats_.unrelated;
            log()->trace("{}: unrelated frame from {} (object {})", name(), f->src, f->object_id);
        }
    }
}

awaitable<void> xcom_device::hold(std::chrono::milliseconds d) {
    boost::system::error_code ec;
    hold_.expires_after(d);
    co_await hold_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

// One request, one response: the session resends after a timeout (`retries`, -1: the
// configured count) and keeps min_gap between requests; back-off on GATEWAY_BUSY here.
awaitable<xcom_device::reply> xcom_device::exchange(xc::frame request, int retries) {
    reply out;
    auto busy_wait = 500ms;
    const session::policy policy{options_.timeout, retries < 0 ? options_.retries : retries,
                                 options_.min_gap};
    for (int busy = 0; busy <= 3;) {
        if (!link_->connected()) co_return out;
        log()->trace("{}: request to {} object {} property {}", name(), request.dst,
                     request.object_id, request.property_id);
        const auto timeouts = session_.stats().timeouts;
        auto answer = co_await session_.exchange(
            *link_, xc::encode(request),
            [&request](const xc::frame& f) { return xc::is_response_to(request, f); }, policy);
        if (!answer) {
            unanswered_ += static_cast<int>(session_.stats().timeouts - timeouts);
            update_online();  // offline after offline_after, even in the middle of a pass
            log()->debug("{}: no answer from {} (object {} property {}) after {} attempt(s)",
                         name(), request.dst, request.object_id, request.property_id,
                         policy.retries + 1);
            co_return out;
        }
        online_.answered(clock::now());
        unanswered_ = 0;
        if (answer->error() == xc::scom_error::gateway_busy) {
            ++stats_.busy;
            ++busy;
            out.busy = true;
            // A write backs off in full, whatever else arrives (its client wants the device's
            // answer); a poll read gives way to a queued write and is read again next pass.
            if (request.service_id == xc::service::write) {
                co_await hold(busy_wait);
            } else {
                if (!commands_.empty()) co_return out;
                co_await commands_.pause(busy_wait);
            }
            busy_wait *= 2;
            continue;
        }
        if (answer->frame_flags & 0x01) message_waiting_ = true;
        out.frame = std::move(answer);
        out.busy = false;
        update_online();
        co_return out;
    }
    co_return out;
}

void xcom_device::publish(const key& k, double v) {
    auto it = points_.find(k);
    if (it == points_.end()) return;
    ++stats_.values;
    // `once` points (minimum, maximum) do not change: read once, they never go stale.
    auto& pt = it->second;
    const bool once = pt.poll == core::poll_class::once;
    pt.once_done = pt.once_done || once;
    const auto stamp = once ? clock::time_point::max() : clock::now();
    for (const auto& l : pt.listeners) l(core::value{v}, stamp);
}

void xcom_device::publish_named(const std::string& name, const core::value& v) {
    const auto it = named_.find(name);
    if (it == named_.end()) return;
    for (const auto& l : it->second) l(v, clock::now());
}

awaitable<void> xcom_device::read_one(key k) {
    const auto found = points_.find(k);
    if (found == points_.end()) co_return;  // unbound by a reload meanwhile
    const auto* dp = found->second.dp;      // the catalogue entry outlives any reload
    const auto type = k.k == xc::kind::info ? xc::object_type::info : xc::object_type::parameter;
    const auto r = co_await exchange(
        xc::read_request(k.address, type, k.nr, property_id(k.k, static_cast<int>(k.p))));
    if (!r.frame) {  // busy or no answer: tried again in the next pass, not a round later
        if (auto it = points_.find(k); it != points_.end()) it->second.retry = true;
        co_return;
    }
    if (r.frame->is_error()) {
        log()->debug("{}: read {} at {}: {}", name(), k.nr, k.address,
                     xc::make_error_code(r.frame->error().value_or(xc::scom_error::invalid_frame))
                         .message());
        co_return;
    }
    if (const auto v = xc::decode_value(dp->format, r.frame->data)) publish(k, *v);
}

// Up to 76 infos per exchange through the Xcom (object type 0x000A at 501). False when the Xcom
// does not support it: the caller falls back to single reads from then on.
awaitable<bool> xcom_device::poll_multi_info(std::vector<key>& due) {
    std::vector<key> infos;
    for (const auto& k : due)
        if (k.k == xc::kind::info) infos.push_back(k);
    while (!infos.empty()) {
        const auto n = std::min(infos.size(), xc::kMaxMultiInfo);
        std::vector<xc::multi_info_item> items;
        for (std::size_t i = 0; i < n; ++i)
            items.push_back({static_cast<std::uint16_t>(infos[i].nr),
                             static_cast<std::uint8_t>(infos[i].address % 100)});
        const auto r = co_await exchange(xc::multi_info_request(items, request_id_++));
        const auto m = r.frame ? xc::parse_multi_info(*r.frame) : std::nullopt;
        const auto e = r.frame ? r.frame->error() : std::nullopt;
        // Only an Xcom that says it cannot (older firmware) switches to single reads for good;
        // no answer, or any other failure, leaves these infos for the next pass - not one by one.
        const bool unsupported = e == xc::scom_error::service_not_supported ||
                                 e == xc::scom_error::type_not_supported ||
                                 e == xc::scom_error::object_not_supported;
        if (!m) {
            if (!unsupported) {
                std::erase_if(due, [](const key& k) { return k.k == xc::kind::info; });
                co_return true;
            }
            log()->info("{}: the Xcom does not answer multi-info ({}); reading infos one by one",
                        name(), xc::make_error_code(*e).message());
            co_return false;
        }
        for (const auto& v : m->values)
            for (std::size_t i = 0; i < n; ++i)
                if (infos[i].nr == v.info && infos[i].address % 100 == v.aggregation &&
                    !std::isnan(v.value))
                    publish(infos[i], v.value);
        infos.erase(infos.begin(), infos.begin() + static_cast<std::ptrdiff_t>(n));
    }
    std::erase_if(due, [](const key& k) { return k.k == xc::kind::info; });
    co_return true;
}

// How often a point is read now: infos fast while a client reads them, else at the idle rate
// (demand-driven polling, DESIGN.md section 3); parameter values slowly.
// The latest demand of the point's consumers (time_point::min(): none ever read it).
xcom_device::clock::time_point xcom_device::demand_of(const point& pt) const {
    if (pt.demand.empty()) return clock::time_point::max();  // not demand-tracked: always needed
    auto last = clock::time_point::min();
    for (const auto& d : pt.demand) last = std::max(last, d());
    return last;
}

// Infos that are due, all of them (multi-info makes that cheap), then at most kParamBatch
// parameter reads, so a large map's parameters never hold up the infos.
awaitable<void> xcom_device::poll_due() {
    constexpr std::size_t kParamBatch = 16;
    const auto now = clock::now();
    std::vector<key> due;
    std::map<key, clock::time_point> before;  // their last poll, for the points a pass skips
    std::size_t params = 0;
    const poll_timing timing{options_.fast, options_.slow, options_.idle_after, options_.idle,
                             kParamBatch};
    for (auto& [k, pt] : points_) {
        if (k.k != xc::kind::info) continue;
        const poll_point pp{true, pt.poll, pt.polled, pt.once_done};
        if (xcom::poll_due(pp, demand_of(pt), now, timing, params)) due.push_back(k);
    }
    // Parameters a busy or silent device did not answer first, then round robin from where
    // the last pass stopped: in plain key order the first few hundred were due again before a
    // large map's later ones ever came.
    for (auto& [k, pt] : points_) {
        if (k.k == xc::kind::info || !pt.retry || params >= kParamBatch) continue;
        const poll_point pp{false, pt.poll, pt.polled, pt.once_done};
        if (!xcom::poll_due(pp, demand_of(pt), now, timing, params)) continue;
        pt.retry = false;
        due.push_back(k);
    }
    auto it = param_cursor_ ? points_.upper_bound(*param_cursor_) : points_.begin();
    for (std::size_t seen = 0; seen < points_.size() && params < kParamBatch; ++seen, ++it) {
        if (it == points_.end()) it = points_.begin();
        const auto& [k, pt] = *it;
        if (k.k == xc::kind::info) continue;
        const poll_point pp{false, pt.poll, pt.polled, pt.once_done};
        if (std::find(due.begin(), due.end(), k) != due.end()) continue;  // a retry above
        if (!xcom::poll_due(pp, demand_of(pt), now, timing, params)) continue;
        due.push_back(k);
        param_cursor_ = k;
    }
    for (const auto& k : due) before.emplace(k, std::exchange(points_.at(k).polled, now));
    unanswered_ = 0;
    if (multi_info_ok_) {
        const bool ok = co_await poll_multi_info(due);
        if (!ok) multi_info_ok_ = false;
    }
    for (std::size_t i = 0; i < due.size(); ++i) {
        co_await run_commands();
        // A device that stopped answering ends the pass: the rest waits for the next one
        // rather than costing a timeout each while writes and the online state wait. The points
        // not tried stay due, so the next pass starts with them, not with the ones that just
        // timed out (no point starves behind one that never answers).
        if (unanswered_ >= 2) {
            bool cursor_back = false;
            for (std::size_t j = i; j < due.size(); ++j)
                if (auto it = points_.find(due[j]); it != points_.end()) {
                    it->second.polled = before.at(due[j]);
                    // The round robin resumes at the first parameter not tried.
                    if (!cursor_back && due[j].k != xc::kind::info) {
                        cursor_back = true;
                        if (it == points_.begin())
                            param_cursor_.reset();
                        else
                            param_cursor_ = std::prev(it)->first;
                    }
                }
            break;
        }
        co_await read_one(due[i]);
    }
}

// How many devices of each family answer (the Xcom-485i's fast-enumeration registers).
awaitable<void> xcom_device::discover() {
    struct fam {
        const char* name;
        std::uint32_t first, last, info;
    };
    for (const auto& f :
         {fam{"xtender_count", 101, 109, 3000}, fam{"variotrack_count", 301, 315, 11000},
          fam{"variostring_count", 701, 715, 15000}, fam{"bsp_count", 601, 601, 7000}}) {
        if (!named_.contains(f.name)) continue;
        int count = 0;
        for (auto a = f.first; a <= f.last; ++a) {
            const auto r = co_await exchange(
                xc::read_request(a, xc::object_type::info, f.info, xc::property::value));
            if (!r.frame || r.frame->is_error()) break;
            ++count;
        }
        device_counts_[f.name] = count;
        publish_named(f.name, std::int64_t{count});
    }
}

// The Xcom's message service (SPEC 4.6): index 0 is the newest and clears the flag; the ones
// that arrived since the last read follow at 1, 2, ... (at most 8 a time). Logged one line each.
awaitable<void> xcom_device::read_messages() {
    message_waiting_ = false;
    std::uint32_t total = 0;
    std::vector<message> fresh;
    for (std::uint32_t i = 0; i < 8; ++i) {
        const auto r = co_await exchange(
            xc::read_request(xc::kXcomAddress, xc::object_type::message, i, 0x0000));
        if (!r.frame || r.frame->error() || r.frame->data.size() < 14) break;
        const auto& d = r.frame->data;
        const auto u32 = [&](std::size_t at) {
            return static_cast<std::uint32_t>(d[at] | (d[at + 1] << 8) | (d[at + 2] << 16) |
                                              (static_cast<std::uint32_t>(d[at + 3]) << 24));
        };
        if (i == 0) total = u32(0);
        if (total <= messages_total_ + i) break;  // seen before
        fresh.push_back({static_cast<std::uint16_t>(d[4] | (d[5] << 8)), u32(6)});
    }
    messages_total_ = std::max(messages_total_, total);
    for (auto it = fresh.rbegin(); it != fresh.rend(); ++it) {
        log()->warn("{}: Xcom message {} from {}", name(), it->nr, it->source);
        messages_.push_back(*it);
    }
    if (messages_.size() > 128) messages_.erase(messages_.begin(), messages_.end() - 128);
}

awaitable<void> xcom_device::run_commands() {
    while (!commands_.empty()) co_await execute(commands_.pop());
}

void xcom_device::count_flash_write(const key& k) {
    const auto n = ++flash_writes_[{k.address, k.nr}];
    // Studer guarantees 1000 writes per parameter (spec 4.5.4): say so well before.
    if (n == 100 || n == 500 || n >= 900)
        log()->warn(
            "{}: parameter {} at {} written to flash {} times (endurance ~1000); write its RAM "
            "value (+6000) instead",
            name(), k.nr, k.address, n);
}

awaitable<void> xcom_device::execute(command c) {
    const auto* dp = xc::find_for_address(c.k.address, xc::kind::parameter, c.k.nr);
    const auto v = core::as_double(c.value);
    if (!dp || !v) co_return c.done(core::make_result(core::outcome::invalid));
    if (clock::now() >= c.deadline)  // its client was told 0x0B: never send it now
        co_return c.done(core::make_result(core::outcome::timeout, "client gave up"));
    const bool flash = c.k.p == prop::value && c.persist;
    const auto prop_id = flash ? xc::property::value_qsp : xc::property::unsaved_value_qsp;
    const double value = dp->signal ? 1.0 : *v;
    const auto request = xc::write_request(c.k.address, xc::object_type::parameter, c.k.nr, prop_id,
                                           xc::encode_value(dp->format, value));
    // At most once, signals too ("do it" commands: a second one would act twice).
    reply r;
    if (dp->signal)
        r = co_await exchange(request, 0);
    else
        r = co_await write_once(request, dp->format, value);
    if (!r.frame)
        co_return c.done(core::make_result(r.busy ? core::outcome::busy : core::outcome::timeout));
    if (r.frame->is_error()) {
        const auto e = r.frame->error().value_or(xc::scom_error::invalid_frame);
        log()->warn("{}: write of {} at {} refused: {}", name(), c.k.nr, c.k.address,
                    xc::make_error_code(e).message());
        co_return c.done(core::make_result(status_of(e), xc::make_error_code(e).message()));
    }
    if (flash) count_flash_write(c.k);
    // Re-read what the device holds now (floats are stored with limited precision).
    co_await read_one(key{c.k.address, xc::kind::parameter, c.k.nr, c.k.p});
    if (c.k.p == prop::value && !flash)
        co_await read_one(key{c.k.address, xc::kind::parameter, c.k.nr, prop::ram});
    c.done(core::make_result(core::outcome::ok));
}

// A write goes out at most once (GATEWAY_BUSY aside, which means "not done": exchange() retries
// it with back-off). After a timeout the device may have applied it and only the answer got lost;
// SCOM has no transaction id, so a resend could apply it twice (and spend a flash write's
// endurance twice), and a late answer cannot be told from a fresh one. The driver reads the
// property back instead: if the device holds the written value the write took effect and the
// client gets a success; otherwise its outcome is unknown and the client gets 0x0B and decides
// itself whether to write again.
awaitable<xcom_device::reply> xcom_device::write_once(xc::frame request, xc::data_format format,
                                                      double value) {
    auto r = co_await exchange(request, 0);
    if (r.frame || r.busy) co_return r;
    const auto back = co_await exchange(xc::read_request(request.dst, xc::object_type::parameter,
                                                         request.object_id, request.property_id));
    if (!back.frame || back.frame->is_error()) co_return reply{};
    const auto held = xc::decode_value(format, back.frame->data);
    // The device stores floats with limited precision: compare as it would round.
    if (!held || std::fabs(*held - value) > 1e-4 * std::max(1.0, std::fabs(value)))
        co_return reply{};
    log()->info("{}: write of {} at {} applied (its answer was lost)", name(), request.object_id,
                request.dst);
    xc::frame ok = *back.frame;
    ok.service_id = request.service_id;
    ok.data.clear();
    co_return reply{std::move(ok), false};
}

void xcom_device::update_online() {
    if (!online_.update(clock::now(), link_->connected())) return;
    if (online_.up()) {
        log()->info("{}: Xcom answering on {}", name(), link_->describe());
    } else {
        log()->warn("{}: Xcom not answering on {}: units answer 0x0A", name(), link_->describe());
    }
}

awaitable<void> xcom_device::run() {
    bool discovered = false;
    while (!stopping_) {
        if (!link_->connected()) {
            co_await run_commands();  // fail fast while the link is down
            co_await commands_.pause(500ms);
        } else {
            if (!discovered) {
                co_await discover();
                discovered = true;
            }
            co_await run_commands();
            const auto pass_start = clock::now();
            co_await poll_due();
            pass_ms_ = std::chrono::duration<double, std::milli>(clock::now() - pass_start).count();
        }
        update_online();
        const auto link = status();
        for (const auto& n : common_link_points()) publish_named(n, link_point(link, n));
        publish_named("link_busy", static_cast<std::int64_t>(stats_.busy));
        publish_named("link_values", static_cast<std::int64_t>(stats_.values));
        if (message_waiting_) co_await read_messages();
        publish_named("pending_messages", static_cast<std::int64_t>(messages_.size()));
        if (!messages_.empty()) {
            // The source as an Xcom-485i unit number: XT 101.. -> 11.., VT 301.. -> 21..,
            // VS 701.. -> 41.., BSP 601 -> 61, the Xcom itself -> 1.
            const auto a = messages_.back().source;
            const std::int64_t unit = a >= 701   ? 40 + (a - 700)
                                      : a >= 601 ? 60 + (a - 600)
                                      : a >= 501 ? 1
                                      : a >= 301 ? 20 + (a - 300)
                                      : a >= 101 ? 10 + (a - 100)
                                                 : 0;
            publish_named("message_source", unit);
            publish_named("message_id", std::int64_t{messages_.back().nr});
            publish_named("message_value", std::int64_t{0});
        }
        for (const auto& [n, c] : device_counts_) publish_named(n, std::int64_t{c});
        if (!stopping_ && link_->connected()) co_await commands_.pause(100ms);
    }
}

}  // namespace vx::devices::xcom
