#include "vxbridge/devices/vebus/vebus_device.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>

#include "vxbridge/core/suggest.hpp"
#include "vxbridge/devices/run_owned.hpp"
#include "vxbridge/transport/backoff.hpp"

namespace vx::devices::vebus {

namespace asio = boost::asio;
namespace vb = vx::devices::vebus;
using asio::awaitable;
using namespace std::chrono_literals;

// Note: no co_await inside an `if`/`while` condition in this file. GCC 12 miscompiled
// `if (!co_await f(temporary))` here into an illegal instruction; awaiting into a local first
// is equivalent and works.

namespace {

constexpr std::uint8_t kScaleIds[] = {0, 1, 2, 3, 4, 5, 7, 8, 13, 14, 15, 16};
constexpr std::uint8_t kSnapshotIds[] = {4, 5, 13, 14, 15, 16};  // UBat IBat SoC powers
constexpr double kWireMsPerByte = 10.0 / 2400.0 * 1000.0;        // 8N1 at 2400 baud

std::shared_ptr<spdlog::logger> log() {
    return spdlog::get("vebus");
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

const std::vector<std::string>& vebus_device::writable_points() {
    static const std::vector<std::string> names = {"ess_setpoint",
                                                   "ess_setpoint_l2",
                                                   "ess_setpoint_l3",
                                                   "ess_disable_charge",
                                                   "ess_disable_feedin",
                                                   "mode",
                                                   "input_current_limit",
                                                   "sleep",
                                                   "redetect"};
    return names;
}

const std::vector<std::string>& vebus_device::link_points() {
    static const std::vector<std::string> names = [] {
        auto all = common_link_points();
        all.insert(all.end(), {"link_utilisation", "link_cycles", "link_wire_ms"});
        return all;
    }();
    return names;
}

const std::vector<std::string>& vebus_device::source_names() {
    static const std::vector<std::string> names = [] {
        auto all = vb::vebus_system::point_names();
        for (const auto* more : {&writable_points(), &link_points()})
            for (const auto& n : *more)
                if (!contains(all, n)) all.push_back(n);
        return all;
    }();
    return names;
}

vebus_device::vebus_device(std::string name, asio::any_io_executor exec, vebus_options options,
                           std::shared_ptr<transport::link> link)
    : device(std::move(name)),
      exec_(exec),
      options_(std::move(options)),
      link_(exec, options_.port, std::move(link)),
      system_(options_.mirror_phase_alarms ? vb::phase_alarms::mirror : vb::phase_alarms::zero),
      commands_(exec),
      online_(options_.offline_after) {
    for (int p = 0; p < 3; ++p)
        ess_.emplace_back(
            vb::ess_hold::timing{options_.ess.refresh, options_.ess.setpoint_timeout});
    link_.on_unsolicited = [this](const vb::frame& f) {
        if (f.type == vb::frame_type::boot) {  // the Multi or MK3 restarted
            reinit_ = true;
            reinit_why_ = "boot frame";
        }
        system_.unsolicited(f);
    };
}

vebus_device::~vebus_device() = default;

std::string vebus_device::check_point(const core::point_spec& p) const {
    if (constant_points::handles(p)) return {};
    const auto& names = source_names();
    if (p.ref.kind != "vebus") {
        std::string why =
            "driver vebus serves {vebus: NAME} and {value: X}, not {" + p.ref.kind + ": ...}";
        if (contains(names, p.ref.key)) why += " (did you mean {vebus: " + p.ref.key + "}?)";
        return why;
    }
    if (!p.ref.options.empty()) return "{vebus: NAME} takes no options";
    const auto& n = p.ref.key;
    const bool writable = contains(writable_points(), n);
    if (!contains(names, n))
        return "unknown VE.Bus point '" + n + "'" + core::did_you_mean(n, names) +
               "; {vebus: NAME} knows " + core::list_names(names, names.size());
    if (p.writable && !writable) return "VE.Bus point '" + n + "' is read-only";
    return {};
}

void vebus_device::subscribe(const core::point_spec& p, value_listener listener) {
    if (constant_points::handles(p)) return constants_.subscribe(p, std::move(listener));
    listeners_[p.ref.key].push_back(std::move(listener));
}

void vebus_device::write(const core::point_spec& p, const core::value& v, core::write_done done,
                         time_point deadline) {
    if (constant_points::handles(p)) {
        constants_.store(p, v);
        return done(core::make_result(core::outcome::ok));
    }
    // Writes may come from any thread (the RTU server); the link is the io_context's.
    asio::post(exec_, [self = shared_from_this(), name = p.ref.key, v, done = std::move(done),
                       deadline]() mutable {
        if (self->stopping_) return done(core::make_result(core::outcome::offline, "stopping"));
        // A waiting back-off or pause ends now.
        self->commands_.push({std::move(name), std::move(v), std::move(done), deadline});
    });
}

link_status vebus_device::status() const {
    const auto s = link_.stats();
    return {online_.up(),      online_.last_good(), s.requests, s.timeouts,
            s.checksum_errors, s.reconnects,        cycle_ms_,  commands_.size()};
}

void vebus_device::start() {
    // The link reopens a vanished port by itself (transport back-off); each change wakes the
    // driver, and each new reason for a failure is logged once.
    link_.on_state = [w = weak_from_this()](bool up, const std::string& why) {
        auto self = w.lock();
        if (!self) return;
        if (!up && why != self->last_port_error_)
            log()->warn("{}: {}: {}", self->name(), self->link_.describe(), why);
        self->last_port_error_ = up ? std::string{} : why;
        if (up) {  // a reopened port: start over with the MK3
            self->reinit_ = true;
            self->reinit_why_ = "port reopened";
        }
        self->commands_.wake();
    };
    link_.start();
    asio::co_spawn(exec_, run_owned(shared_from_this(), &vebus_device::run), asio::detached);
}

void vebus_device::stop() {
    stopping_ = true;
    link_.stop();
    commands_.wake();
    commands_.fail_all(core::outcome::offline, "stopping");
}

void vebus_device::log_online(bool changed) {
    if (!changed) return;
    if (online_.up())
        log()->info("{}: VE.Bus up on {} (MK3 version {}, {}, ESS setpoint {})", name(),
                    options_.port, core::to_string(system_.point("mk3_version")),
                    system_.topo().describe(),
                    ess_[0].id ? "at RAM " + std::to_string(*ess_[0].id) : "not available");
    else
        log()->warn("{}: VE.Bus unreachable on {}: units answer 0x0A", name(), options_.port);
}

// The link loop: initialise, poll; every failure leads back to the top with back-off (the port
// itself is reopened by the transport link).
awaitable<void> vebus_device::run() {
    // A Multi that stops answering on an open port is asked again after 0.5 s doubling to 2 s:
    // at 2400 baud one version request every 2 s costs nothing, and a Multi that comes back
    // (and the ESS refresh that keeps its setpoint) is served again within 2 s, not 8.
    transport::backoff retry{std::chrono::milliseconds(500), std::chrono::seconds(2)};
    while (!stopping_) {
        bool up = false;
        reinit_ = false;
        reinit_why_.clear();
        selected_.reset();
        if (link_.is_open()) up = co_await initialise();
        if (up) {
            retry.reset();
            reinit_ = false;
            online_.answered(clock::now());
            log_online(online_.set(true));
            while (!stopping_ && !reinit_ && link_.is_open()) {
                const auto next = clock::now() + options_.poll_interval;
                const bool ok = co_await cycle();
                if (!ok) break;
                co_await idle_until(next);
            }
            if (stopping_) break;
            log()->info("{}: re-initialising VE.Bus ({})", name(),
                        !link_.is_open() ? "port error"
                        : reinit_        ? reinit_why_
                                         : "no answers");
        }
        // Down only: before initialise succeeds a Multi is not "up", however recent its answer.
        // A port that closed is not "down" at once: a serial server (MOXA) reconnects within a
        // second or two and the units keep answering meanwhile, until offline_after.
        if (online_.up()) log_online(online_.update(clock::now(), true));
        publish();
        co_await run_commands();  // fail fast while down
        if (!reinit_) co_await commands_.pause(retry.next());
    }
    log_online(online_.set(false));
}

// Waits for the next cycle; writes that arrive meanwhile are sent at once (write() wakes us),
// and the ESS setpoint is refreshed on its own schedule, not the poll cycle's.
awaitable<void> vebus_device::idle_until(clock::time_point next) {
    while (!stopping_ && !reinit_ && link_.is_open() && clock::now() < next) {
        auto wake = next;
        for (const auto& e : ess_)
            if (const auto refresh = e.hold.next_refresh(); refresh && e.id)
                wake = std::min(wake, *refresh);
        const auto now = clock::now();
        if (wake > now)
            co_await commands_.pause(
                std::chrono::duration_cast<std::chrono::milliseconds>(wake - now));
        co_await run_commands();
        co_await ess_housekeeping();
    }
}

awaitable<bool> vebus_device::initialise() {
    {
        const bool ok = co_await ask(vb::version_request());
        if (!ok) co_return false;
    }
    {
        const bool ok = co_await ask(vb::address_request(0));
        if (!ok) co_return false;
    }
    letter_ = 'X';
    bool scales = co_await read_scales(0);
    if (!scales) {
        // Some MK3s answer X only after the mode-2 'S' (section 1.4); then try 'W'.
        log()->info("{}: no answer to X commands; sending the mode-2 'S' once", name());
        co_await ask(vb::mode2_init_request());
        scales = co_await read_scales(0);
        if (!scales) {
            letter_ = 'W';
            {
                const bool ok = co_await read_scales(0);
                if (!ok) co_return false;
            }
        }
    }
    {
        const bool ok = co_await discover();
        if (!ok) co_return false;
    }
    // Scales per unit (velib reads them one device at a time); kept across re-initialisations.
    for (const auto& u : system_.topo().units) {
        if (u.addr == 0 || system_.unit(u.addr).has_scales(kScaleIds)) continue;
        const bool ok = co_await read_scales(u.addr);
        if (!ok)
            log()->warn("{}: unit {} does not answer; its phase reads unavailable", name(), u.addr);
    }
    for (int p = 0; p < 3; ++p) {
        const auto m = system_.topo().master(p);
        if (p < system_.topo().phases && m)
            co_await scan_assistants(p, *m);
        else
            ess_[p].id.reset();
    }
    co_return co_await ask(vb::info_request(5));
}

// Section 1.3 of the multi-unit notes: the master's config frame (shortIds), the phase frames
// (phase count, units per phase), each unit's config frame; without config frames, the units
// are probed with a winmon read per address. Cross-checked, logged when it changes.
awaitable<bool> vebus_device::discover() {
    std::optional<std::uint32_t> short_ids;
    std::map<int, vb::ac_info> frames;
    std::map<std::uint8_t, vb::config_info> configs;
    std::vector<std::uint8_t> probed;
    const auto master_config = co_await exchange(vb::config_request(0));
    if (master_config)
        if (const auto c = vb::parse_config_info(*master_config)) {
            short_ids = c->short_ids;
            configs[0] = *c;
        }
    int phases = 1;
    for (std::uint8_t n = 1; n <= phases && n <= 3; ++n) {
        const auto r = co_await exchange(vb::info_request(n));
        const auto a = r ? vb::parse_ac_info(*r) : std::nullopt;
        if (a) frames[n] = *a;
        if (n == 1) phases = a ? a->phases() : 3;  // L1 master silent: ask L2, L3
    }
    if (short_ids) {
        for (std::uint8_t a = 1; a < 32; ++a) {
            if (!(*short_ids & (1u << a))) continue;
            const auto r = co_await exchange(vb::config_request(a));
            if (const auto c = r ? vb::parse_config_info(*r) : std::nullopt) configs[a] = *c;
        }
    } else {
        // No config frames ([U]: some MK3s may want an 'S' first): as many units as the phase
        // frames' factors say, found by a winmon read per address (absent ones time out).
        int expected = 0;
        for (const auto& [n, a] : frames) expected += std::max<int>(1, a.inverter_factor);
        const std::uint8_t ids[] = {vb::ram::ubat};
        for (std::uint8_t a = 1; a < 9 && static_cast<int>(probed.size()) + 1 < expected; ++a) {
            const bool ok = co_await ask(vb::read_ram_request(letter_, ids), a);
            if (ok) probed.push_back(a);
        }
    }
    auto t = vb::make_topology(short_ids, frames, configs, probed);
    const auto text = t.describe();
    if (text != described_) {
        log()->info("{}: VE.Bus system: {}{}", name(), text,
                    t.from_config ? "" : " (no config frames: units probed)");
        for (const auto& w : t.warnings) log()->warn("{}: VE.Bus system: {}", name(), w);
        described_ = text;
    }
    system_.set_topology(std::move(t));
    co_return true;
}

awaitable<bool> vebus_device::read_scales(std::uint8_t unit) {
    for (auto id : kScaleIds) {
        const bool ok = co_await ask(vb::ram_info_request(letter_, id), unit);
        if (!ok) co_return false;
    }
    co_return true;
}

// Section 1.11, with the corrected loop (assistant_scan_step), on a phase master.
// A scan cut short (no answer, or the Multi refusing RAM reads while something else holds
// VE.Bus) keeps what an earlier complete scan found: a transient failure must not take the ESS
// setpoint away until the next re-initialisation.
awaitable<void> vebus_device::scan_assistants(int phase, std::uint8_t master) {
    auto& e = ess_[phase];
    auto& unit = system_.unit(master);
    std::optional<std::uint8_t> found;
    bool complete = false;
    std::uint8_t id = vb::ram::assistants;
    for (int i = 0; i < 16; ++i) {
        const std::uint8_t ids[] = {id};
        unit.clear_ram(id);
        {
            const bool ok = co_await ask(vb::read_ram_request(letter_, ids), master);
            if (!ok) break;
        }
        const auto header = unit.ram_raw(id);
        if (!header) {
            complete = i == 0 && unit.ram_unsupported(id);  // no assistants on this Multi
            break;
        }
        const auto step = vb::assistant_scan_step(id, *header);
        if (step.ess_id) found = step.ess_id;
        complete = step.done;
        if (step.done) break;
        id = step.next;
    }
    if (complete || found)
        e.id = found;
    else if (e.id)
        log()->info("{}: assistant scan of unit {} incomplete; keeping the ESS setpoint at RAM {}",
                    name(), master, *e.id);
    if (!e.id) co_return;
    const std::uint8_t ids[] = {*e.id};
    const bool read = co_await ask(vb::read_ram_request(letter_, ids), master);
    if (read && !e.hold.holding())
        if (const auto raw = unit.ram_raw(*e.id))
            e.hold.show(-static_cast<std::int16_t>(*raw) * system_.topo().per_phase[phase]);
}

awaitable<std::optional<vb::frame>> vebus_device::exchange(vb::frame request) {
    const auto timeout = request.command == 'F' && !request.data.empty() && request.data[0] == 5
                             ? options_.timeout * 2
                             : options_.timeout;
    const auto reply = co_await link_.exchange(request, timeout);
    const auto selected = selected_.value_or(0);
    if (!reply) {
        if (vb::expects_reply(request)) system_.lost(selected, request);
        co_return std::nullopt;
    }
    if (vb::expects_reply(request))
        system_.apply(selected, request, *reply);
    else
        system_.sent(request);
    if (request.type == vb::frame_type::mk2 && request.command == 'A' && request.data.size() >= 2 &&
        request.data[0] == 0x01)
        selected_ = request.data[1];
    online_.answered(clock::now());
    co_return reply;
}

// 'A' only when the next winmon frame is for another unit (velib's mk2TalkToAddress). Never
// while an 'F' reply is pending: exchanges are one at a time, an 'F' is done or timed out.
awaitable<bool> vebus_device::select(std::uint8_t unit) {
    if (selected_ == unit) co_return true;
    const auto r = co_await exchange(vb::address_request(unit));
    co_return r.has_value();
}

awaitable<bool> vebus_device::ask(vb::frame request, std::optional<std::uint8_t> unit) {
    const bool winmon =
        request.type == vb::frame_type::mk2 && (request.command == 'W' || request.command == 'X' ||
                                                request.command == 'Y' || request.command == 'Z');
    // Writes jump the poll queue (they select their own unit) - also one that arrived while
    // this poll step's 'A' was on the wire: the step selects its unit again after it, which
    // costs the poll one 'A' and saves the write a whole exchange.
    for (;;) {
        co_await run_commands();
        if (!winmon) break;
        const bool ok = co_await select(unit.value_or(0));
        if (!ok) co_return false;
        if (commands_.empty()) break;
    }
    const auto r = co_await exchange(std::move(request));
    co_return r.has_value();
}

awaitable<bool> vebus_device::cycle() {
    const auto t0 = clock::now();
    const auto bytes0 = link_.stats().bytes_tx + link_.stats().bytes_rx;
    const auto& topo = system_.topo();
    const bool slow =
        options_.slow_every > 0 && cycles_ % static_cast<std::uint64_t>(options_.slow_every) == 0;
    bool ok = co_await ask(vb::snapshot_request(kSnapshotIds));
    // Every unit's snapshot, starting with the one selected (one 'A' fewer); a unit or phase
    // master that stopped answering is asked again on slow cycles only (each silence costs a
    // timeout on a 2400-baud line).
    std::vector<std::uint8_t> order;
    for (const auto& u : topo.units) order.push_back(u.addr);
    if (const auto it = std::find(order.begin(), order.end(), selected_.value_or(0));
        it != order.end())
        std::rotate(order.begin(), it, order.end());
    for (auto a : order) {
        if (topo.multi_unit() && system_.unit_lost(a) && !slow) continue;
        ok = co_await ask(vb::read_snapshot_request(letter_), a) && ok;
        if (slow && a == 0) ok = co_await ask(vb::device_state_request(letter_), 0) && ok;
    }
    for (int p = 0; p < topo.phases; ++p) {
        if (topo.multi_unit() && system_.phase_lost(p) && !slow) continue;
        ok = co_await ask(vb::info_request(static_cast<std::uint8_t>(p + 1))) && ok;
    }
    ok = co_await ask(vb::led_request()) && ok;
    watch_vebus_error();
    if (slow) {
        ok = co_await ask(vb::info_request(0)) && ok;
        ok = co_await ask(vb::info_request(5)) && ok;
    }
    co_await ess_housekeeping();
    const auto now = clock::now();
    if (last_cycle_ != clock::time_point{})
        system_.integrate(std::chrono::duration<double>(now - last_cycle_).count());
    last_cycle_ = now;
    ++cycles_;
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
    const auto bytes = link_.stats().bytes_tx + link_.stats().bytes_rx - bytes0;
    cycle_ms_ = ms;
    utilisation_ = ms > 0 ? std::min(1.0, static_cast<double>(bytes) * kWireMsPerByte / ms) : 0;
    publish();
    if (clock::now() - link_.last_heard() > options_.silence) {
        reinit_ = true;
        reinit_why_ = "silence";
    }
    co_return ok || clock::now() - online_.last_good() < options_.silence;
}

// VE.Bus error 3 (units missing or extra) and 17 (a phase master missing) say the system
// changed: rediscover when one appears or clears (venus#1504: a unit that was missing stays
// missing until the system is redetected).
void vebus_device::watch_vebus_error() {
    const auto e = system_.main().values().vebus_error;
    if (!e) return;
    const auto changes = [](int v) { return v == 3 || v == 17; };
    if (vebus_error_ && *vebus_error_ != *e && (changes(*vebus_error_) || changes(*e))) {
        log()->warn("{}: VE.Bus error {} -> {}: rediscovering the system", name(), *vebus_error_,
                    *e);
        reinit_ = true;
        reinit_why_ = "VE.Bus error " + std::to_string(*e);
    }
    vebus_error_ = *e;
}

awaitable<void> vebus_device::run_commands() {
    while (!commands_.empty()) {
        auto c = commands_.pop();
        co_await execute(c);
    }
}

std::uint8_t vebus_device::current_switch() const {
    if (mode_) return *mode_;
    const auto sw = system_.main().values().switch_register.value_or(0x30);
    const bool charge = sw & 0x10, invert = sw & 0x20;
    return charge && invert ? 3 : charge ? 1 : invert ? 2 : 4;
}

awaitable<void> vebus_device::execute(command& c) {
    const auto num = core::as_double(c.value);
    if (!num) co_return c.done(core::make_result(core::outcome::invalid, "not a number"));
    const double v = *num;
    if (!online_.up() && !link_.is_open())
        co_return c.done(core::make_result(core::outcome::offline));
    if (clock::now() >= c.deadline)  // its client was told 0x0B: never send it now
        co_return c.done(core::make_result(core::outcome::timeout, "client gave up"));
    core::write_result r = core::make_result(core::outcome::ok);
    if (c.point.starts_with("ess_setpoint")) {
        const int phase = c.point == "ess_setpoint_l2" ? 1 : c.point == "ess_setpoint_l3" ? 2 : 0;
        r = co_await write_setpoint(phase, v, c.deadline);
    } else if (c.point == "ess_disable_charge" || c.point == "ess_disable_feedin") {
        r = co_await write_blocks(c.point == "ess_disable_charge", v != 0);
    } else if (c.point == "redetect") {
        if (v != 0) {
            log()->info("{}: redetecting the VE.Bus system (register 105)", name());
            reinit_ = true;
            reinit_why_ = "redetect requested";
        }
    } else if (c.point == "mode") {
        if (v < 1 || v > 4) co_return c.done(core::make_result(core::outcome::invalid));
        r = co_await send_state(static_cast<std::uint8_t>(v), std::nullopt);
        if (r.status == core::outcome::ok) mode_ = static_cast<std::uint8_t>(v);
    } else if (c.point == "input_current_limit") {
        r = co_await send_state(current_switch(), static_cast<std::uint16_t>(std::lround(v * 10)));
    } else if (c.point == "sleep") {
        const auto reply = co_await link_.exchange(v != 0 ? vb::sleep_frame() : vb::wake_frame(),
                                                   options_.timeout);
        if (!reply) r = core::make_result(core::outcome::timeout);
    } else {
        r = core::make_result(core::outcome::refused, "not writable");
    }
    if (r.status == core::outcome::ok) publish(c.point, c.value);
    c.done(std::move(r));
}

// A client's phase setpoint (GX sign, the phase total): checked against the phase's limits,
// sent to its master, confirmed or rolled back with the Multi's answer. On a phase the system
// does not have (a single-phase Multi and register 40/41) it is held, not sent: OpenEMS writes
// 37-41 in one request on every system.
awaitable<core::write_result> vebus_device::write_setpoint(int phase, double v,
                                                           clock::time_point deadline) {
    const auto& topo = system_.topo();
    auto& e = ess_[phase];
    if (phase >= topo.phases) {
        e.hold.request(v);
        e.hold.confirm(clock::now(), true);
        e.hold.fall_back();  // nothing to refresh
        e.hold.show(v);
        co_return core::make_result(core::outcome::ok);
    }
    const double units = topo.per_phase[phase];
    if (v > options_.ess.max_charge_w * units || v < -options_.ess.max_feed_w * units) {
        log()->warn("{}: ESS setpoint L{} {} W refused (limits -{} .. {} W)", name(), phase + 1, v,
                    options_.ess.max_feed_w * units, options_.ess.max_charge_w * units);
        co_return core::make_result(core::outcome::invalid, "outside ess limits");
    }
    if (!e.id) co_return core::make_result(core::outcome::refused, "no ESS assistant");
    // A write answered with an exception must not take effect later through the refresh:
    // on failure the bridge goes on refreshing what the last successful write set.
    auto r = co_await send_setpoint(phase, e.hold.request(v));
    // Confirmed after its client gave up (0x0B): the refresh puts back what the last
    // successful write set, so the Multi ends on what clients were told.
    if (r.status == core::outcome::ok && clock::now() >= deadline)
        r = core::make_result(core::outcome::timeout, "confirmed after the client gave up");
    if (r.status == core::outcome::ok)
        e.hold.confirm(clock::now(), true);
    else
        e.hold.roll_back();
    co_return r;
}

// Registers 38/39 are system-wide: every phase master gets its phase's setpoint with the block
// applied (venus#927: the flags go to all phase masters).
awaitable<core::write_result> vebus_device::write_blocks(bool charge, bool on) {
    auto r = core::make_result(core::outcome::ok);
    for (int p = 0; p < 3; ++p) {
        auto& e = ess_[p];
        const auto send = e.hold.block(charge, on);
        auto one = core::make_result(core::outcome::ok);
        if (send && e.id && p < system_.topo().phases) {
            auto sent = co_await send_setpoint(p, *send);
            one = std::move(sent);
        }
        if (one.status == core::outcome::ok)
            e.hold.confirm(clock::now(), false);
        else
            e.hold.roll_back();
        if (r.status == core::outcome::ok) r = std::move(one);
    }
    co_return r;
}

// The phase total divided by the units on the phase (each Multi takes a 16-bit per-unit
// setpoint, venus#1048), written to the phase master's ESS RAM id.
awaitable<core::write_result> vebus_device::send_setpoint(int phase, double gx_watts) {
    const auto master = system_.topo().master(phase);
    const auto& e = ess_[phase];
    if (!master || !e.id) co_return core::make_result(core::outcome::refused, "no phase master");
    const double units = std::max(1, system_.topo().per_phase[phase]);
    // GX register 37: + = charge; the Multi's RAM value: + = feed-in (section 3.4).
    const auto ram =
        static_cast<std::int16_t>(std::clamp(-std::lround(gx_watts / units), -32767L, 32767L));
    const bool selected = co_await select(*master);
    if (!selected) co_return core::make_result(core::outcome::timeout, "no answer to 'A'");
    const auto reply = co_await exchange(vb::write_ram_request(letter_, *e.id, ram));
    if (!reply) co_return core::make_result(core::outcome::timeout, "no answer to the ESS write");
    const auto w = vb::parse_winmon(*reply);
    if (!w || w->code != vb::winmon::write_ram_ok) {
        // One line when the refusals start and one when they end, not one per write.
        if (ess_refusals_++ == 0)
            log()->warn(
                "{}: the Multi refuses the ESS setpoint (reply 0x{:02X}; is a GX holding "
                "VE.Bus?)",
                name(), w ? w->code : 0);
        co_return core::make_result(core::outcome::refused, "refused by the Multi");
    }
    if (ess_refusals_ > 0)
        log()->info("{}: the Multi accepts the ESS setpoint again ({} refused)", name(),
                    std::exchange(ess_refusals_, 0));
    ess_[phase].hold.sent(online_.last_good());
    co_return core::make_result(core::outcome::ok);
}

awaitable<core::write_result> vebus_device::send_state(std::uint8_t sw,
                                                       std::optional<std::uint16_t> limit) {
    const auto reply = co_await link_.exchange(vb::state_request(sw, limit), options_.timeout);
    if (!reply) co_return core::make_result(core::outcome::timeout, "no answer to 'S'");
    online_.answered(clock::now());
    co_return core::make_result(core::outcome::ok);
}

// Refresh the setpoint before the Multi drops it (~15 s), and fall back to 0 W when no client
// has written it for ess.setpoint_timeout; then stop refreshing so the assistant times out.
awaitable<void> vebus_device::ess_housekeeping() {
    // Every phase master, the selected one first (one 'A' fewer).
    const auto& topo = system_.topo();
    std::vector<int> order;
    for (int p = 0; p < topo.phases; ++p)
        if (topo.master(p) == selected_)
            order.insert(order.begin(), p);
        else
            order.push_back(p);
    for (int p : order) {
        auto& e = ess_[p];
        if (!e.id) continue;
        switch (e.hold.due(clock::now())) {
            case vb::ess_hold::action::fall_back:
                log()->warn(
                    "{}: no Modbus write of the L{} ESS setpoint for {} s: falling back to 0 W",
                    name(), p + 1,
                    std::chrono::duration_cast<std::chrono::seconds>(options_.ess.setpoint_timeout)
                        .count());
                e.hold.fall_back();
                co_await send_setpoint(p, 0);
                break;
            case vb::ess_hold::action::refresh:
                co_await send_setpoint(p, e.hold.effective());
                break;
            case vb::ess_hold::action::none:
                break;
        }
    }
}

void vebus_device::publish(const std::string& name, const core::value& v) {
    const auto it = listeners_.find(name);
    if (it == listeners_.end()) return;
    const auto now = clock::now();
    for (const auto& l : it->second) l(v, now);
}

// The driver's own points (ESS, switch, link figures beyond the common ones); none for a
// measurement of the Multi.
core::value vebus_device::own_point(const std::string& name) const {
    if (name == "ess_setpoint") return ess_[0].hold.shown();
    if (name == "ess_setpoint_l2") return ess_[1].hold.shown();
    if (name == "ess_setpoint_l3") return ess_[2].hold.shown();
    if (name == "ess_disable_charge") return std::int64_t{ess_[0].hold.charge_blocked()};
    if (name == "ess_disable_feedin") return std::int64_t{ess_[0].hold.feed_blocked()};
    if (name == "redetect") return std::int64_t{0};
    if (name == "mode") return std::int64_t{current_switch()};
    if (name == "sleep") return std::int64_t{0};
    if (name == "link_utilisation") return utilisation_ * 100.0;
    if (name == "link_cycles") return static_cast<std::int64_t>(cycles_);
    if (name == "link_wire_ms") {
        const auto s = link_.stats();
        return static_cast<std::int64_t>(static_cast<double>(s.bytes_tx + s.bytes_rx) *
                                         kWireMsPerByte);
    }
    return {};
}

void vebus_device::publish() {
    const auto link = status();
    for (const auto& [name, ls] : listeners_) {
        auto stamp = clock::now();
        core::value v = link_point(link, name);
        if (!core::has_value(v)) v = own_point(name);
        if (!core::has_value(v)) {
            if (!online_.up()) continue;
            // A measurement carries the time of the last answer, not of this call: publish()
            // also runs while the Multi is silent (re-initialising, not yet offline) and must
            // not make old values look fresh - they age out through the map's max_age.
            v = system_.point(name);
            stamp = online_.last_good();
        }
        // A multi-unit system says "missing" for a phase or unit that stopped answering (the
        // register reads unavailable at once); a single Multi's values age out as always.
        if (!core::has_value(v) && !system_.topo().multi_unit()) continue;
        for (const auto& l : ls) l(v, stamp);
    }
}

}  // namespace vx::devices::vebus
