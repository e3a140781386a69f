#include "vxbridge/devices/modbus_client/client_device.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>

#include "vxbridge/core/suggest.hpp"

namespace vx::devices::modbus_client {

namespace asio = boost::asio;

namespace {

std::shared_ptr<spdlog::logger> log() {
    return spdlog::get("mbclient");
}

// Slow blocks (energy counters) are read every this many cycles.
constexpr unsigned kSlowEvery = 10;

}  // namespace

client_device::client_device(std::string name, asio::any_io_executor exec, client_options options)
    : device(std::move(name)),
      exec_(std::move(exec)),
      options_(std::move(options)),
      timer_(exec_),
      online_(options_.offline_after) {
    if (options_.map) plan_ = std::make_unique<read_plan>(*options_.map);
}

client_device::~client_device() = default;

std::string client_device::check_point(const core::point_spec& p) const {
    if (constant_points::handles(p)) return {};
    if (p.ref.kind != "modbus")
        return "driver modbus serves {modbus: NAME} (a point of the device map " + options_.model +
               ")";
    std::vector<std::string> names = common_link_points();
    names.insert(names.end(), meter_points().begin(), meter_points().end());
    if (options_.map)
        for (const auto& [kind, e] : options_.map->all_entries()) names.push_back(e->name);
    if (std::find(names.begin(), names.end(), p.ref.key) == names.end())
        return "device map " + options_.model + " has no point '" + p.ref.key + "'" +
               core::did_you_mean(p.ref.key, names);
    if (p.writable) return "'" + p.ref.key + "' is read-only: the bridge only reads this device";
    return {};
}

void client_device::subscribe(const core::point_spec& p, value_listener listener) {
    if (constant_points::handles(p)) return constants_.subscribe(p, std::move(listener));
    listeners_[p.ref.key].push_back(std::move(listener));
}

void client_device::write(const core::point_spec& p, const core::value& v, core::write_done done,
                          time_point) {
    if (constant_points::handles(p)) {  // an rw {value: X} register the bridge holds
        constants_.store(p, v);
        return done(core::make_result(core::outcome::ok));
    }
    done(core::make_result(core::outcome::not_writable, "the bridge only reads this device"));
}

link_status client_device::status() const {
    auto s = stats_;
    s.up = online_.up();
    s.last_good = online_.last_good();
    s.queue_depth = bus_ ? bus_->queued() : 0;
    return s;
}

void client_device::start() {
    if (!plan_) return;  // the config check reported the map
    stopped_ = false;
    std::string conflict;
    bus_ = client_bus::get(options_.transport, conflict);
    if (!conflict.empty()) log()->error("{}: {}; using its settings", name(), conflict);
    // What one cycle puts on the line (the bench's wire-limit figure comes from this line).
    unsigned regs = 0, slow = 0, slow_regs = 0;
    for (const auto& b : plan_->blocks()) {
        if (b.poll == core::poll_class::normal) regs += b.count;
        if (b.poll == core::poll_class::slow) ++slow, slow_regs += b.count;
    }
    log()->info(
        "{}: polling unit {} on {} ({}: {} requests of {} registers per cycle, {} more "
        "of {} every {}th)",
        name(), options_.unit_id, bus_->name(), options_.model,
        plan_->due(1, kSlowEvery, {}).size(), regs, slow, slow_regs, kSlowEvery);
    publish_link();
    begin_cycle();
}

void client_device::stop() {
    stopped_ = true;
    timer_.cancel();
    bus_.reset();
}

void client_device::begin_cycle() {
    if (stopped_) return;
    cycle_start_ = clock::now();
    once_done_.resize(plan_->blocks().size());
    due_ = plan_->due(cycle_, kSlowEvery, once_done_);
    next_ = 0;
    tries_ = 0;
    cycle_ok_ = true;
    next_request();
}

void client_device::next_request() {
    if (stopped_) return;
    if (next_ >= due_.size()) return end_cycle(cycle_ok_);
    const auto* b = due_[next_];
    bus_request r{options_.unit_id, b->input, b->start, b->count, options_.timeout};
    bus_->submit(r, [w = weak_from_this()](bus_reply rep) {
        if (auto self = w.lock())
            asio::post(self->exec_,
                       [self, rep = std::move(rep)]() mutable { self->on_reply(std::move(rep)); });
    });
}

void client_device::on_reply(bus_reply rep) {
    if (stopped_) return;
    using st = bus_reply::status;
    if (rep.result == st::cancelled) return;
    const auto now = clock::now();
    if (rep.result != st::link_down) {
        // The port is open (perhaps opened for another device on the same line).
        ++stats_.requests;
        if (!std::exchange(link_ok_, true) && ever_open_) ++stats_.reconnects;
        ever_open_ = true;
        if (rep.reconnected) {
            log()->info("{}: {} open", name(), bus_->name());
            last_problem_.clear();
        }
    }
    const auto problem = [&](const std::string& what) {
        if (what != last_problem_) log()->warn("{}: {}", name(), what);
        last_problem_ = what;
    };
    const auto* b = due_[next_];
    switch (rep.result) {
        case st::ok: {
            read_plan::decode(*b, rep.words, values_);
            if (b->poll == core::poll_class::once) once_done_[b - plan_->blocks().data()] = true;
            online_.answered(now);
            ++next_;
            tries_ = 0;
            return next_request();
        }
        case st::timeout:
        case st::checksum:
        case st::garbage:
            if (rep.result == st::timeout)
                ++stats_.timeouts;
            else
                ++stats_.checksum_errors;
            if (tries_++ < options_.retries) return next_request();  // the same block again
            problem("unit " + std::to_string(options_.unit_id) + " on " + bus_->name() + ": " +
                    rep.detail);
            return end_cycle(false);  // a silent device: the next cycle tries again
        case st::exception:
            // The map asks for something this device does not have: the block's points stay
            // missing, the rest of the cycle goes on.
            problem("unit " + std::to_string(options_.unit_id) + " answered exception " +
                    std::to_string(rep.exception) + " to FC" + (b->input ? "4" : "3") + " " +
                    std::to_string(b->start) + "+" + std::to_string(b->count) + " (" + rep.detail +
                    ")");
            for (const auto* e : b->entries) values_[e->name] = core::value{};
            cycle_ok_ = false;
            ++next_;
            tries_ = 0;
            return next_request();
        case st::link_down:
            link_ok_ = false;
            problem(rep.detail);
            return end_cycle(false);
        case st::cancelled:
            return;
    }
}

void client_device::end_cycle(bool complete) {
    const auto now = clock::now();
    if (complete) {
        plan_->apply_signs(values_);
        for (const auto& [n, v] : values_) publish(n, v, now);
        stats_.cycle_ms = std::chrono::duration<double, std::milli>(now - cycle_start_).count();
        if (!last_problem_.empty() && online_.up()) {
            log()->info("{}: answering again", name());
            last_problem_.clear();
        }
    }
    if (online_.update(now, link_ok_)) {
        if (online_.up()) {
            log()->info("{}: online", name());
        } else {
            log()->warn("{}: offline (no complete answer for {} s): its values read unavailable",
                        name(), std::chrono::duration<double>(options_.offline_after).count());
            set_offline();
        }
    }
    publish_link();
    ++cycle_;
    if (!link_ok_) return wait(backoff_.next());
    backoff_.reset();
    const auto spent = now - cycle_start_;
    wait(spent >= options_.interval ? clock::duration::zero() : options_.interval - spent);
}

void client_device::wait(clock::duration d) {
    if (stopped_) return;
    if (d <= clock::duration::zero()) {
        asio::post(exec_, [self = shared_from_this()] { self->begin_cycle(); });
        return;
    }
    timer_.expires_after(d);
    timer_.async_wait([w = weak_from_this()](boost::system::error_code ec) {
        if (auto self = w.lock(); self && !ec) self->begin_cycle();
    });
}

void client_device::publish(const std::string& n, const core::value& v, clock::time_point at) {
    const auto it = listeners_.find(n);
    if (it == listeners_.end()) return;
    for (const auto& l : it->second) l(v, at);
}

void client_device::publish_link() {
    const auto s = status();
    const auto now = clock::now();
    for (const auto& n : common_link_points()) publish(n, link_point(s, n), now);
}

void client_device::set_offline() {
    values_.clear();
    const auto now = clock::now();
    if (options_.map)
        for (const auto& [kind, e] : options_.map->all_entries()) publish(e->name, {}, now);
}

driver_info driver() {
    return with_factory<client_device, client_options>(options());
}

}  // namespace vx::devices::modbus_client
