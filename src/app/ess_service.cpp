#include "vxbridge/app/ess_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cmath>
#include <ctime>

#include "vxbridge/app/state_file.hpp"
#include "vxbridge/core/suggest.hpp"

namespace vx::app {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

std::shared_ptr<spdlog::logger> log() {
    return spdlog::get("ess");
}

// The Multi's points the loop reads (driver vebus names).
const char* const kFeeds[] = {"ac_in_p",     "ac_out_p",    "ac_in_p_l2", "ac_in_p_l3",
                              "ac_out_p_l2", "ac_out_p_l3", "phases",     "units",
                              "soc",         "bat_v",       "link_up",    "ess_setpoint"};

// The meter's points the loop and systemcalc read (every shipped meter map names them so).
const char* const kMeterFeeds[] = {"power",      "power_l1",   "power_l2",  "power_l3",
                                   "voltage_l1", "voltage_l2", "voltage_l3"};
// systemcalc's figures served as {ess: NAME} (system unit 817-822, 902-912).
const char* const kSystemcalc[] = {"grid_l1_w",        "grid_l2_w",        "grid_l3_w",
                                   "consumption_l1_w", "consumption_l2_w", "consumption_l3_w"};
// A meter whose values have not moved this long counts as lost (section 5: a GX keeps
// regulating on a frozen meter; the bridge does not).
constexpr auto kFrozenAfter = std::chrono::seconds(15);
constexpr auto kStale = std::chrono::seconds(5);

int local_minutes(std::chrono::system_clock::time_point t) {
    const std::time_t tt = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    localtime_r(&tt, &tm);
    return tm.tm_hour * 60 + tm.tm_min;
}

}  // namespace

ess_service::ess_service(asio::any_io_executor exec, control::ess_config config,
                         std::shared_ptr<devices::point_store> store,
                         std::shared_ptr<devices::device> multi, std::string state_file,
                         std::shared_ptr<devices::device> meter)
    : device(multi->name() + ".ess"),
      exec_(exec),
      timer_(exec),
      loop_(config),
      store_(std::move(store)),
      multi_(std::move(multi)),
      meter_(std::move(meter)),
      state_file_(std::move(state_file)) {
    if (state_file_.empty()) return;
    std::string problem;
    if (const auto saved = load_state(state_file_, problem)) {
        loop_.restore(*saved);
        log()->info("{}: ESS settings from {}", name(), state_file_);
    } else if (!problem.empty()) {
        log()->warn("{}: ignoring the state file {}: {}; the ESS settings start from the config",
                    name(), state_file_, problem);
    }
    saved_version_ = loop_.persistent_version();
}

std::vector<std::string> ess_service::point_names() {
    std::vector<std::string> names;
    for (const auto& d : control::ess_setting_defs()) names.emplace_back(d.name);
    for (const auto& n : control::ess_loop::status_names()) names.push_back(n);
    for (const char* n : kSystemcalc) names.emplace_back(n);
    return names;
}

std::string ess_service::check_point(const core::point_spec& p) const {
    if (p.ref.kind != "ess") return "the ESS loop serves {ess: NAME}";
    static const auto names = point_names();
    if (std::find(names.begin(), names.end(), p.ref.key) == names.end())
        return "unknown ESS point '" + p.ref.key + "'" + core::did_you_mean(p.ref.key, names);
    if (p.writable) {
        const auto& defs = control::ess_setting_defs();
        const auto d = std::find_if(defs.begin(), defs.end(),
                                    [&](const auto& s) { return s.name == p.ref.key; });
        if (d == defs.end() || !d->writable) return "ESS point '" + p.ref.key + "' is read-only";
    }
    return {};
}

void ess_service::subscribe(const core::point_spec& p, devices::value_listener l) {
    const auto v = loop_.read(p.ref.key, clock::now());
    if (core::has_value(v)) l(v, clock::now());
    listeners_[p.ref.key].push_back(std::move(l));
}

void ess_service::write(const core::point_spec& p, const core::value& v, core::write_done done,
                        time_point) {
    const auto num = core::as_double(v);
    if (!num) return done(core::make_result(core::outcome::invalid, "not a number"));
    asio::post(
        exec_, [self = shared_from_this(), key = p.ref.key, value = *num, done = std::move(done)] {
            using control::setting_write;
            const auto before = self->loop_.read(key, clock::now());
            switch (self->loop_.write(key, value, clock::now())) {
                case setting_write::ok:
                    break;
                case setting_write::out_of_range:
                    return done(
                        core::make_result(core::outcome::setting_refused, key + " out of range"));
                case setting_write::read_only:
                    return done(core::make_result(core::outcome::not_writable));
                case setting_write::unknown:
                    return done(core::make_result(core::outcome::refused, "unknown setting"));
            }
            // A change is worth a line; a client refreshing the same value (openWB's 2716 each
            // cycle) is not.
            if (self->loop_.read(key, clock::now()) != before)
                log()->info("{}: {} = {}", self->name(), key, value);
            self->publish_all();  // a read after the reply shows it
            done(core::make_result(core::outcome::ok));
            self->step();  // a new target acts now, not at the next measurement
        });
}

void ess_service::start() {
    stopped_ = false;
    auto w = weak_from_this();
    for (const char* n : kFeeds) {
        core::point_spec spec;
        spec.ref = {"vebus", n, {}};
        spec.binding = name() + "/" + n;
        feeds_.push_back(store_->subscribe(
            multi_, spec, [w, key = std::string(n)](const core::value& v, clock::time_point t) {
                if (auto self = w.lock()) self->on_value(key, v, t);
            }));
    }
    if (meter_)
        for (const char* n : kMeterFeeds) {
            core::point_spec spec;
            spec.ref = {"modbus", n, {}};
            spec.binding = name() + "/" + n;
            feeds_.push_back(store_->subscribe(
                meter_, spec, [w, key = std::string(n)](const core::value& v, clock::time_point t) {
                    if (auto self = w.lock()) self->on_meter(key, v, t);
                }));
        }
    log()->info("{}: ESS mode {} ({}) on {}, grid measured by {}", name(), loop_.mode(),
                loop_.mode() == 3 ? "external control" : "the bridge regulates", multi_->name(),
                !meter_ ? "the Multi's AC input (no grid meter)"
                : loop_.meter_in_use()
                    ? "grid meter " + meter_->name()
                    : "the Multi's AC input (2718 = 1, meter " + meter_->name() + " not used)");
    tick();
}

void ess_service::stop() {
    stopped_ = true;
    timer_.cancel();
    feeds_.clear();
    save();
}

void ess_service::on_value(const std::string& key, const core::value& v, clock::time_point t) {
    // The point store may call on any thread: the loop runs on ours.
    asio::post(exec_, [self = shared_from_this(), key, v, t] {
        const auto d = core::as_double(v);
        auto& s = self->sample_;
        if (key == "link_up") {
            self->link_up_ = d && *d != 0;
            return;
        }
        if (key == "ess_setpoint") {
            // A client wrote 37/96 while the loop owns them: accepted and overwritten at the
            // next step, as on a GX - said once, so the integrator knows why.
            const bool ours = d && std::any_of(self->sent_.begin(), self->sent_.end(),
                                               [&](double w) { return std::fabs(w - *d) < 1; });
            if (d && !ours && self->loop_.regulating() && !self->told_overwrite_) {
                self->told_overwrite_ = true;
                log()->warn(
                    "{}: a client wrote the ESS setpoint ({} W) while the bridge regulates "
                    "(2902 = {}): overwritten at the next step; write 2902 = 3 for "
                    "external control",
                    self->name(), *d, self->loop_.mode());
            }
            return;
        }
        if (key == "ac_in_p" && d) {
            s.ac_in_l[0] = *d;
            s.at = t;
        } else if (key == "ac_out_p" && d) {
            s.ac_out_l[0] = *d;
        } else if (key.starts_with("ac_in_p_l") && d) {
            s.ac_in_l[key.back() - '1'] = *d;
        } else if (key.starts_with("ac_out_p_l") && d) {
            s.ac_out_l[key.back() - '1'] = *d;
        } else if (key == "phases" && d) {
            s.phases = std::clamp(static_cast<int>(*d), 1, 3);
        } else if (key == "units" && d) {
            s.units = std::max(1, static_cast<int>(*d));
        } else if (key == "soc") {
            s.soc = d;
        } else if (key == "bat_v") {
            s.bat_v = d;
        }
        // The driver publishes a whole cycle at once: one step after the last of its values.
        if (s.at > self->last_step_at_ && !self->step_posted_) {
            self->step_posted_ = true;
            asio::post(self->exec_, [self] {
                self->step_posted_ = false;
                self->last_step_at_ = self->sample_.at;
                self->step();
            });
        }
    });
}

void ess_service::on_meter(const std::string& key, const core::value& v, clock::time_point t) {
    asio::post(exec_, [self = shared_from_this(), key, v, t] {
        auto& m = self->meter_now_;
        const auto d = core::as_double(v);
        if (!d) {  // the meter went offline: its values are gone
            m.v.erase(key);
            return;
        }
        const auto it = m.v.find(key);
        if (it == m.v.end() || it->second != *d) m.changed = std::max(m.changed, t);
        m.v[key] = *d;
        m.answered = std::max(m.answered, t);
    });
}

void ess_service::fill_meter(clock::time_point now) {
    if (!meter_) return;
    auto& m = meter_now_;
    const auto get = [&](const char* k) -> std::optional<double> {
        const auto it = m.v.find(k);
        return it == m.v.end() ? std::nullopt : std::optional<double>(it->second);
    };
    sample_.grid_w = get("power");
    sample_.grid_l1_w = get("power_l1");
    sample_.grid_l2_w = get("power_l2");
    sample_.grid_l3_w = get("power_l3");
    // A meter that answers but whose readings never move is as good as gone (judged only while
    // it answers: a silent meter is stale anyway, and says nothing about its values).
    const bool answering = m.answered != clock::time_point{} && now - m.answered <= kStale;
    const bool frozen =
        answering ? m.changed != clock::time_point{} && now - m.changed > kFrozenAfter : m.frozen;
    if (frozen != m.frozen) {
        m.frozen = frozen;
        if (frozen)
            log()->warn(
                "{}: grid meter {} answers, but its values have not changed for {} s: "
                "treated as lost",
                name(), meter_->name(), kFrozenAfter.count());
        else
            log()->info("{}: grid meter {} values move again", name(), meter_->name());
    }
    if (m.answered == clock::time_point{})
        sample_.grid_at.reset();
    else
        sample_.grid_at = frozen ? m.changed : m.answered;
}

std::optional<double> ess_service::systemcalc(const std::string& key, clock::time_point now) const {
    const bool multi_fresh = sample_.at != clock::time_point{} && now - sample_.at <= kStale;
    if (meter_) {
        const auto& m = meter_now_;
        if (m.answered == clock::time_point{} || now - m.answered > kStale || m.frozen)
            return std::nullopt;
        const auto get = [&](const std::string& k) -> std::optional<double> {
            const auto it = m.v.find(k);
            return it == m.v.end() ? std::nullopt : std::optional<double>(it->second);
        };
        const int n = key[key.size() - 3] - '0';  // grid_lN_w / consumption_lN_w
        const auto grid = get("power_l" + std::to_string(n));
        if (key.starts_with("grid")) return grid;
        if (!grid) return std::nullopt;
        // Loads between the meter and the Multi (section 4): meter - Multi AC-in on a phase
        // the Multi has, plus what its AC-out feeds; other phases are all load.
        if (n <= sample_.phases) {
            if (!multi_fresh) return std::nullopt;
            return sample_.ac_out_l[n - 1] + std::max(0.0, *grid - sample_.ac_in_l[n - 1]);
        }
        return std::max(0.0, *grid);
    }
    if (!multi_fresh) return std::nullopt;
    const int n = key[key.size() - 3] - '0';
    if (n > sample_.phases) return std::nullopt;  // a phase the Multi has not: nothing known
    return key.starts_with("grid") ? sample_.ac_in_l[n - 1] : sample_.ac_out_l[n - 1];
}

void ess_service::step() {
    if (stopped_ || sample_.at == clock::time_point{}) return;
    sample_.ac_in_w = sample_.ac_out_w = 0;
    for (int p = 0; p < sample_.phases; ++p) {
        sample_.ac_in_w += sample_.ac_in_l[p];
        sample_.ac_out_w += sample_.ac_out_l[p];
    }
    fill_meter(clock::now());
    const auto wall = std::chrono::system_clock::now();
    if (const auto c = loop_.on_sample(sample_, clock::now(), wall, local_minutes(wall))) {
        log()->debug("{}: step ac_in {} ac_out {} meter {} -> setpoint {}", name(), sample_.ac_in_w,
                     sample_.ac_out_w, sample_.grid_w ? std::to_string(*sample_.grid_w) : "-",
                     c->setpoint_w);
        send(*c);
    }
    note_state();
    publish_all();
}

void ess_service::tick() {
    if (stopped_) return;
    fill_meter(clock::now());
    if (const auto c = loop_.tick(clock::now(), link_up_ && multi_->online())) send(*c);
    note_state();
    publish_all();
    // Settings on disk within 2 s of a change: checked every second, so changes coalesce.
    if (loop_.persistent_version() != saved_version_) save();
    // Every second, or just after the measurement in use goes stale if that comes first.
    auto next = clock::now() + std::chrono::seconds(1);
    if (const auto at = loop_.stale_at())
        next = std::clamp(*at + std::chrono::milliseconds(5),
                          clock::now() + std::chrono::milliseconds(5), next);
    timer_.expires_at(next);
    timer_.async_wait([w = weak_from_this()](boost::system::error_code ec) {
        if (auto self = w.lock(); self && !ec) self->tick();
    });
}

void ess_service::note_state() {
    if (loop_.state_text() == logged_state_) return;
    logged_state_ = loop_.state_text();
    if (logged_state_.starts_with("passthru"))
        log()->warn("{}: {}: 0 W to the Multi until a fresh measurement", name(), logged_state_);
    else
        log()->info("{}: {}", name(), logged_state_);
}

void ess_service::send_point(const char* point, double value) {
    core::point_spec spec;
    spec.ref = {"vebus", point, {}};
    spec.binding = name() + "/" + point;
    spec.writable = true;
    multi_->write(
        spec, core::value{value},
        [w = weak_from_this(), point](core::write_result r) {
            auto self = w.lock();
            if (!self) return;
            asio::post(self->exec_, [self, point, r] {
                const auto why = r.status == core::outcome::ok ? std::string{} : r.detail;
                if (why != self->last_send_error_ && !why.empty())
                    log()->warn("{}: the Multi did not take {}: {}", self->name(), point, why);
                self->last_send_error_ = why;
            });
        },
        clock::now() + std::chrono::seconds(2));
}

void ess_service::send(const control::ess_command& c) {
    if (sent_disable_charge_ != c.disable_charge) {
        send_point("ess_disable_charge", c.disable_charge);
        sent_disable_charge_ = c.disable_charge;
    }
    if (sent_disable_feedin_ != c.disable_feedin) {
        send_point("ess_disable_feedin", c.disable_feedin);
        sent_disable_feedin_ = c.disable_feedin;
    }
    // One setpoint per phase (37 / 40 / 41); a single-phase Multi gets 37 alone.
    sent_[sent_next_++ % sent_.size()] = c.phase_w[0];
    send_point("ess_setpoint", c.phases == 1 ? c.setpoint_w : c.phase_w[0]);
    if (c.phases >= 2) send_point("ess_setpoint_l2", c.phase_w[1]);
    if (c.phases >= 3) send_point("ess_setpoint_l3", c.phase_w[2]);
    if (c.passthru) sent_disable_charge_ = sent_disable_feedin_ = std::nullopt;
}

std::vector<std::pair<std::string, core::value>> ess_service::figures() const {
    const auto now = clock::now();
    std::vector<std::pair<std::string, core::value>> out;
    for (const auto& name : point_names()) {
        if (std::find(std::begin(kSystemcalc), std::end(kSystemcalc), name) !=
            std::end(kSystemcalc)) {
            const auto v = systemcalc(name, now);
            out.emplace_back(name, v ? core::value{*v} : core::value{});
        } else {
            out.emplace_back(name, loop_.read(name, now));
        }
    }
    return out;
}

void ess_service::publish_all() {
    const auto now = clock::now();
    for (const auto& [key, ls] : listeners_) {
        if (std::find(std::begin(kSystemcalc), std::end(kSystemcalc), key) !=
            std::end(kSystemcalc)) {
            // Stamped with the measurement's time, so ages and max_age stay honest.
            const auto v = systemcalc(key, now);
            const auto at = meter_ ? std::min(meter_now_.answered, sample_.at) : sample_.at;
            for (const auto& l : ls) l(v ? core::value{*v} : core::value{}, v ? at : now);
            continue;
        }
        const auto v = loop_.read(key, now);
        for (const auto& l : ls) l(v, now);
    }
}

void ess_service::save() {
    if (state_file_.empty() || loop_.persistent_version() == saved_version_) return;
    std::string problem;
    if (save_state(state_file_, loop_.persistent(), problem)) {
        saved_version_ = loop_.persistent_version();
        last_save_error_.clear();
        return;
    }
    // Logged once per distinct problem; the settings stay in force in memory and the next
    // change tries again.
    if (problem != last_save_error_)
        log()->warn("{}: ESS settings not saved (they will not survive a restart): {}", name(),
                    problem);
    last_save_error_ = problem;
    saved_version_ = loop_.persistent_version();
}

}  // namespace vx::app
