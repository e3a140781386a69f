#include "vxbridge/control/ess_loop.hpp"

#include <algorithm>
#include <cmath>

namespace vx::control {

namespace {

constexpr double kBig = 1e6;  // W: wider than any setting a client can encode (int32 x 1)

// Codes of the status figure ess_limited (the view and the status unit show which limit shaped
// the last setpoint).
int limited_code(const std::string& by) {
    static const char* names[] = {
        "", "max charge", "max discharge", "discharge blocked", "force charge", "max feed-in"};
    for (int i = 0; i < 6; ++i)
        if (by == names[i]) return i;
    return 0;
}

}  // namespace

const std::vector<setting_def>& ess_setting_defs() {
    // protocols/ess-and-grid-meters.md section 1 and section 6.1 (GX defaults). Every negative
    // 2704/2706 is "no limit" (the -1 scale trap), so their ranges reach below -1.
    static const std::vector<setting_def> defs = {
        {"ac_power_setpoint", -kBig, kBig, 50, true, true},     // 2700, 2703
        {"max_charge_percentage", 0, 100, 100, true, true},     // 2701
        {"max_discharge_percentage", 0, 100, 100, true, true},  // 2702
        {"max_discharge_power", -kBig, kBig, -1, true, true},   // 2704, 2720
        {"max_charge_current", -1, 10000, -1, true, true},      // 2705
        {"max_feed_in_power", -kBig, kBig, -1, true, true},     // 2706, 2722
        {"overvoltage_feed_in", 0, 1, 0, true, true},           // 2707
        {"prevent_feedback", 0, 1, 0, true, true},              // 2708
        {"pv_power_limiter_active", 0, 1, 0, false, false},     // 2709
        {"max_charge_voltage", 0, 1000, 0, true, true},         // 2710
        {"ac_input1", 0, 3, 1, true, true},                     // 2711
        {"ac_input2", 0, 3, 0, true, true},                     // 2712
        {"ac_export_limit", -1, 1000, -1, true, true},          // 2713
        {"ac_input_limit", -1, 1000, -1, true, true},           // 2714
        {"always_peak_shave", 0, 1, 0, true, true},             // 2715
        {"override_setpoint", -kBig, kBig, 0, false, true},     // 2716 (volatile)
        {"run_without_grid_meter", 0, 1, 1, true, true},        // 2718
        {"pv_disable", 0, 1, 0, false, false},                  // 2724
        {"batterylife_state", 0, 12, 1, true, true},            // 2900 (BatteryLife)
        {"minimum_soc", 0, 100, 10, true, true},                // 2901
        {"hub4_mode", 1, 3, 3, true, true},                     // 2902
        {"soc_limit", 0, 100, 10, false, false},                // 2903 (BatteryLife)
    };
    return defs;
}

const std::vector<std::string>& ess_loop::status_names() {
    static const std::vector<std::string> names = {
        "ess_state", "ess_target_w", "ess_grid_w", "ess_setpoint_w", "ess_limited",
        "ess_regulating", "ess_active_soc_limit", "ess_no_grid_meter",
        // The commissioning view's figures: the setpoint per phase, the limits in force at
        // the last step, whether the loop regulates on the grid meter.
        "ess_setpoint_l1_w", "ess_setpoint_l2_w", "ess_setpoint_l3_w", "ess_max_charge_w",
        "ess_max_discharge_w", "ess_max_feed_in_w", "ess_meter_in_use"};
    return names;
}

ess_loop::ess_loop(ess_config c, battery_life_memory bl)
    : cfg_(c),
      bl_(bl),
      regulator_(c.law),
      phase_regulators_{ess_regulator(c.law), ess_regulator(c.law), ess_regulator(c.law)} {
    for (const auto& d : ess_setting_defs()) values_[std::string(d.name)] = d.fallback;
    values_["hub4_mode"] = cfg_.mode;
    values_["minimum_soc"] = cfg_.min_soc;
    values_["ac_power_setpoint"] = cfg_.grid_setpoint_w;
    values_["run_without_grid_meter"] = cfg_.has_meter ? 0 : 1;
}

double ess_loop::setting(std::string_view name) const {
    const auto it = values_.find(name);
    return it == values_.end() ? 0.0 : it->second;
}

int ess_loop::mode() const {
    return static_cast<int>(setting("hub4_mode"));
}

bool ess_loop::meter_in_use() const {
    return cfg_.has_meter && setting("run_without_grid_meter") == 0;
}

namespace {
// How long the GX waits before "Grid meter not found" (#49, hub4 /Alarms/NoGridMeter).
constexpr auto kNoMeterAlarm = std::chrono::seconds(120);
}  // namespace

setting_write ess_loop::write(std::string_view name, double value, steady::time_point now) {
    const auto& defs = ess_setting_defs();
    const auto d = std::find_if(defs.begin(), defs.end(),
                                [&](const setting_def& s) { return s.name == name; });
    if (d == defs.end()) return setting_write::unknown;
    if (!d->writable) return setting_write::read_only;
    if (!std::isfinite(value) || value < d->lo || value > d->hi) return setting_write::out_of_range;
    if (name == "override_setpoint") {
        // A written 0 is a 0 W override, not a revert (section 1, 2716).
        override_w_ = value;
        override_at_ = now;
        return setting_write::ok;
    }
    if (name == "batterylife_state") {
        bl_.set_mode(static_cast<int>(std::lround(value)));
        ++version_;
        return setting_write::ok;
    }
    auto& v = values_[std::string(name)];
    if (v != value) {
        v = value;
        ++version_;
    }
    return setting_write::ok;
}

std::optional<double> ess_loop::target(steady::time_point now) const {
    if (override_w_ && now - override_at_ < cfg_.override_timeout) return *override_w_;
    return setting("ac_power_setpoint");
}

core::value ess_loop::read(std::string_view name, steady::time_point now) const {
    if (name == "override_setpoint")
        return override_w_ && now - override_at_ < cfg_.override_timeout ? *override_w_ : 0.0;
    if (name == "batterylife_state") return static_cast<std::int64_t>(bl_.state());
    if (name == "soc_limit") return bl_.soc_limit();
    if (name == "ess_state") {
        // 0 external control, 1 regulating, 2 passthru (stale measurement / link lost),
        // 3 waiting for a first measurement.
        if (mode() == 3) return std::int64_t{0};
        if (regulating_) return std::int64_t{1};
        return std::int64_t{stopped_ ? 2 : 3};
    }
    if (name == "ess_regulating") return std::int64_t{regulating_};
    if (name == "ess_no_grid_meter") {
        // 0 ok, 2 alarm (GX alarm values): regulating on a meter that has been gone 120 s.
        const bool alarm = meter_in_use() && mode() != 3 && meter_seen_ != steady::time_point{} &&
                           now - meter_seen_ >= kNoMeterAlarm;
        return std::int64_t{alarm ? 2 : 0};
    }
    if (name == "ess_target_w") return regulating_ ? last_step_.target_w : *target(now);
    if (name == "ess_grid_w") {
        if (!last_sample_) return {};
        if (!meter_in_use()) return last_sample_->ac_in_w;
        const auto g = mode() == 2 ? last_sample_->grid_l1_w : last_sample_->grid_w;
        return g ? core::value{*g} : core::value{};
    }
    if (name == "ess_setpoint_w") return last_command_ ? last_command_->setpoint_w : 0.0;
    if (name.starts_with("ess_setpoint_l") && name.size() == 17) {
        const auto phase = static_cast<std::size_t>(name[14] - '1');
        if (phase > 2 || (last_command_ && static_cast<int>(phase) >= last_command_->phases))
            return {};
        return last_command_ ? last_command_->phase_w[phase] : 0.0;
    }
    if (name == "ess_meter_in_use") return std::int64_t{meter_in_use()};
    const auto limit = [](const std::optional<double>& v) {
        return v ? core::value{*v} : core::value{};
    };
    if (name == "ess_max_charge_w") return limit(last_limits_.max_charge_w);
    if (name == "ess_max_discharge_w")
        return last_limits_.discharge_blocked ? core::value{0.0}
                                              : limit(last_limits_.max_discharge_w);
    if (name == "ess_max_feed_in_w") return limit(last_limits_.max_feed_in_w);
    if (name == "ess_limited") return std::int64_t{limited_code(last_step_.limited_by)};
    if (name == "ess_active_soc_limit") {
        const auto a = bl_.active_soc_limit(setting("minimum_soc"));
        return a ? core::value{*a} : core::value{};
    }
    const auto it = values_.find(name);
    if (it == values_.end()) return {};
    return it->second;
}

ess_limits ess_loop::limits(const ess_sample& s) const {
    ess_limits l;
    const double ubat = s.bat_v.value_or(0) > 0 ? *s.bat_v : 48.0;
    // Charge (battery frame): the Multi's limit, 2701 (<= 99 % of it), 2705 x UBat (DVCC).
    const double units = std::max(1, s.units);  // the limits are per Multi
    const double max_charge = cfg_.max_charge_w * units, max_feed = cfg_.max_feed_w * units;
    double charge = max_charge;
    if (const auto pct = setting("max_charge_percentage"); pct <= 99)
        charge = std::min(charge, max_charge * pct / 100.0);
    if (const auto amps = setting("max_charge_current"); amps >= 0)
        charge = std::min(charge, amps * ubat);
    l.max_charge_w = charge;
    // Discharge: the Multi's inverter limit, 2702 (< 50 % = none at all), 2704 (negative = none).
    double discharge = max_feed;
    if (setting("max_discharge_percentage") < 50) discharge = 0;
    if (const auto p = setting("max_discharge_power"); p >= 0) discharge = std::min(discharge, p);
    l.max_discharge_w = discharge;
    if (const auto f = setting("max_feed_in_power"); f >= 0) l.max_feed_in_w = f;
    l.discharge_blocked = bl_.discharge_blocked();
    switch (bl_.state()) {
        case bl_state::keep_charged:
            l.force_charge_w = charge;  // "keep batteries charged": charge at the maximum allowed
            break;
        case bl_state::force_charge:
        case bl_state::low_soc_charge:
        case bl_state::recharge:
            l.force_charge_w = std::min(charge, ubat * 5.0);  // slow charge, 5 A (section 2.3)
            break;
        default:
            break;
    }
    return l;
}

void ess_loop::set_state(std::string s) {
    state_ = std::move(s);
}

std::optional<ess_command> ess_loop::on_sample(const ess_sample& s, steady::time_point now,
                                               wall::time_point wall_now, int local_minutes) {
    last_sample_ = s;
    if (mode() == 3) {
        regulating_ = false;
        set_state("external control (2902 = 3)");
        return std::nullopt;
    }
    if (now - s.at > cfg_.stale_after) return std::nullopt;  // tick() stops regulation
    // On a meter: regulate only on a fresh one (section 5: the GX stops, the Multi goes to
    // passthru); tick() says so once.
    const auto meter_w = mode() == 2 && s.phases <= 1 ? s.grid_l1_w : s.grid_w;
    const bool meter_fresh = s.grid_at && meter_w && now - *s.grid_at <= cfg_.stale_after;
    if (meter_fresh) meter_seen_ = std::max(meter_seen_, *s.grid_at);
    if (meter_in_use() && !meter_fresh) return std::nullopt;
    const auto before = bl_.memory().state;
    bl_.update({s.soc, true, false, setting("minimum_soc"), wall_now, local_minutes});
    if (bl_.memory().state != before) ++version_;

    // The grid: the meter's (the total, or the Multi's phase in mode 2), unless 2718 says
    // "inverter/charger" or there is no meter.
    const auto l = limits(s);
    last_limits_ = l;
    const double units = std::max(1, s.units);
    const int phases = std::clamp(s.phases, 1, 3);
    ess_command c;
    c.phases = phases;
    if (phases == 1) {
        const double grid = meter_in_use() ? *meter_w : s.ac_in_w;
        last_step_ = regulator_.step(s.ac_in_w, s.ac_out_w, grid, target(now).value_or(0), l);
        // Never outside the Multi's limits, whatever the law asks.
        c.setpoint_w =
            std::clamp(last_step_.setpoint_w, -cfg_.max_feed_w * units, cfg_.max_charge_w * units);
        c.phase_w[0] = c.setpoint_w;
    } else {
        per_phase_step(s, now, l, c);
    }
    c.disable_feedin = l.discharge_blocked || (l.max_discharge_w && *l.max_discharge_w <= 0);
    c.disable_charge = l.max_charge_w && *l.max_charge_w <= 0;
    regulating_ = true;
    stopped_ = false;
    set_state(last_step_.limited_by.empty() ? "regulating"
                                            : "regulating, " + last_step_.limited_by);
    last_command_ = c;
    last_sent_ = now;
    return c;
}

// Split-phase and 3-phase systems (multi-unit notes section 4: hub4control writes one setpoint
// per phase). 2902 = 1 (phase compensation): the total grid is regulated with one law, and the
// total AC-in setpoint is shared so that every phase puts the same power into the battery
// (setpoint_p = AC-out_p + (total - AC-out) / phases) [I]. 2902 = 2: each phase's grid is
// regulated to target / phases with its own law and a phase's share of the limits [I].
void ess_loop::per_phase_step(const ess_sample& s, steady::time_point now, const ess_limits& l,
                              ess_command& c) {
    const int phases = c.phases;
    const double units = std::max(1, s.units);
    const double hi = cfg_.max_charge_w * units / phases, lo = -cfg_.max_feed_w * units / phases;
    const double aim = target(now).value_or(0);
    const std::optional<double> meter_l[3] = {s.grid_l1_w, s.grid_l2_w, s.grid_l3_w};
    if (mode() == 1) {
        double in = 0, out = 0;
        for (int p = 0; p < phases; ++p) {
            in += s.ac_in_l[p];
            out += s.ac_out_l[p];
        }
        const double grid = meter_in_use() ? *s.grid_w : in;
        last_step_ = regulator_.step(in, out, grid, aim, l);
        const double share = (last_step_.setpoint_w - out) / phases;
        for (int p = 0; p < phases; ++p)
            c.phase_w[p] = std::clamp(std::round(s.ac_out_l[p] + share), lo, hi);
    } else {
        ess_limits pl = l;
        for (auto* v :
             {&pl.max_charge_w, &pl.max_discharge_w, &pl.max_feed_in_w, &pl.force_charge_w})
            if (*v) **v /= phases;
        ess_step total;
        for (int p = 0; p < phases; ++p) {
            const double grid = meter_in_use() && meter_l[p] ? *meter_l[p] : s.ac_in_l[p];
            const auto st =
                phase_regulators_[p].step(s.ac_in_l[p], s.ac_out_l[p], grid, aim / phases, pl);
            c.phase_w[p] = std::clamp(st.setpoint_w, lo, hi);
            total.target_w += st.target_w;
            if (total.limited_by.empty()) total.limited_by = st.limited_by;
        }
        last_step_ = total;
    }
    c.setpoint_w = 0;
    for (int p = 0; p < phases; ++p) c.setpoint_w += c.phase_w[p];
    last_step_.setpoint_w = c.setpoint_w;
}

std::optional<ess_command> ess_loop::tick(steady::time_point now, bool link_up) {
    if (mode() == 3) {
        regulating_ = false;
        set_state("external control (2902 = 3)");
        return std::nullopt;
    }
    if (meter_seen_ == steady::time_point{}) meter_seen_ = now;  // the alarm counts from here
    const bool multi_fresh = link_up && last_sample_ && now - last_sample_->at <= cfg_.stale_after;
    const bool meter_fresh = !meter_in_use() || (last_sample_ && last_sample_->grid_at &&
                                                 now - *last_sample_->grid_at <= cfg_.stale_after);
    if (!multi_fresh || !meter_fresh) {
        const char* why = !link_up       ? "Multi unreachable"
                          : !multi_fresh ? "measurement stale"
                                         : "grid meter lost";
        if (!regulating_) {
            if (!stopped_)
                set_state(!link_up       ? "Multi unreachable"
                          : !multi_fresh ? "waiting for a measurement"
                                         : "waiting for the grid meter");
            return std::nullopt;
        }
        // Stop regulating: 0 W, the Multi in passthru; resumes with the next fresh sample.
        regulating_ = false;
        stopped_ = true;
        regulator_.reset();
        for (auto& r : phase_regulators_) r.reset();
        set_state(std::string("passthru: ") + why);
        last_command_ = ess_command{0, false, false, true};
        last_command_->phases = std::clamp(last_sample_ ? last_sample_->phases : 1, 1, 3);
        last_sent_ = now;
        return last_command_;
    }
    if (regulating_ && last_command_ && now - last_sent_ >= cfg_.resend_every) {
        last_sent_ = now;
        return last_command_;
    }
    return std::nullopt;
}

std::optional<ess_loop::steady::time_point> ess_loop::stale_at() const {
    if (!regulating_ || !last_sample_) return std::nullopt;
    auto newest = last_sample_->at;
    if (meter_in_use()) {
        if (!last_sample_->grid_at) return std::nullopt;
        newest = std::min(newest, *last_sample_->grid_at);
    }
    return newest + cfg_.stale_after;
}

std::map<std::string, double> ess_loop::persistent() const {
    std::map<std::string, double> out;
    for (const auto& d : ess_setting_defs())
        if (d.persistent && d.name != "batterylife_state") {
            const auto it = values_.find(d.name);
            out.emplace(std::string(d.name), it == values_.end() ? d.fallback : it->second);
        }
    // BatteryLife's memory, as a GX keeps it in its settings (State, SocLimit, flags).
    const auto& m = bl_.memory();
    out["batterylife.state"] = static_cast<double>(m.state);
    out["batterylife.soc_limit"] = m.soc_limit;
    out["batterylife.discharged_today"] = m.discharged_today;
    out["batterylife.absorption_today"] = m.absorption_today;
    out["batterylife.float_today"] = m.float_today;
    // Which site the settings were made for: a meter added to (or removed from) the config
    // gives 2718 its new default instead of the saved value.
    out["config.grid_meter"] = cfg_.has_meter ? 1 : 0;
    if (m.discharged_since)
        out["batterylife.discharged_since"] = static_cast<double>(
            std::chrono::duration_cast<std::chrono::seconds>(m.discharged_since->time_since_epoch())
                .count());
    return out;
}

void ess_loop::restore(const std::map<std::string, double>& settings) {
    const auto get = [&](const std::string& k, double lo, double hi) -> std::optional<double> {
        const auto it = settings.find(k);
        if (it == settings.end() || !std::isfinite(it->second) || it->second < lo ||
            it->second > hi)
            return std::nullopt;  // missing or damaged: the default stays
        return it->second;
    };
    const auto saved_meter = get("config.grid_meter", 0, 1);
    const bool same_site = saved_meter && (*saved_meter != 0) == cfg_.has_meter;
    for (const auto& d : ess_setting_defs()) {
        if (!d.persistent || d.name == "batterylife_state") continue;
        if (d.name == "run_without_grid_meter" && !same_site) continue;
        if (const auto v = get(std::string(d.name), d.lo, d.hi)) values_[std::string(d.name)] = *v;
    }
    auto m = bl_.memory();
    if (const auto v = get("batterylife.state", 0, 12))
        m.state = static_cast<bl_state>(static_cast<int>(*v));
    if (const auto v = get("batterylife.soc_limit", 0, 100)) m.soc_limit = *v;
    if (const auto v = get("batterylife.discharged_today", 0, 1)) m.discharged_today = *v != 0;
    if (const auto v = get("batterylife.absorption_today", 0, 1)) m.absorption_today = *v != 0;
    if (const auto v = get("batterylife.float_today", 0, 1)) m.float_today = *v != 0;
    if (const auto v = get("batterylife.discharged_since", 0, 1e11))
        m.discharged_since = wall::time_point{} + std::chrono::seconds(static_cast<long long>(*v));
    bl_ = battery_life(m);
}

}  // namespace vx::control
