#include "vxbridge/devices/vebus/vebus_system.hpp"

#include <algorithm>
#include <cmath>

namespace vx::devices::vebus {

namespace {

bool is_winmon(const frame& f) {
    return f.type == frame_type::mk2 &&
           (f.command == 'W' || f.command == 'X' || f.command == 'Y' || f.command == 'Z');
}

int info_number(const frame& f) {
    if (f.type != frame_type::mk2 || f.command != 'F' || f.data.empty()) return -1;
    return f.data[0];
}

// The names that exist per phase: L1 is the plain name, L2/L3 add _l2/_l3.
const std::vector<std::string>& phase_bases() {
    static const std::vector<std::string> names = {
        "ac_in_v",           "ac_in_i",        "ac_in_f",     "ac_in_p",
        "ac_out_v",          "ac_out_i",       "ac_out_p",    "alarm_temperature",
        "alarm_low_battery", "alarm_overload", "alarm_ripple"};
    return names;
}

}  // namespace

std::optional<std::uint8_t> topology::master(int phase) const {
    for (const auto& u : units)
        if (u.phase == phase && u.master) return u.addr;
    return std::nullopt;
}

int topology::found_on(int phase) const {
    return static_cast<int>(
        std::count_if(units.begin(), units.end(), [&](const auto& u) { return u.phase == phase; }));
}

std::string topology::describe() const {
    std::string s = std::to_string(phases) + (phases == 1 ? " phase x " : " phases x ");
    const bool same = std::all_of(per_phase.begin(), per_phase.begin() + phases,
                                  [&](int n) { return n == per_phase[0]; });
    if (same)
        s += std::to_string(per_phase[0]) + (per_phase[0] == 1 ? " unit:" : " units:");
    else
        s += "units:";
    for (int p = 0; p < phases; ++p) {
        s += " L" + std::to_string(p + 1) + " {";
        bool first = true;
        for (const auto& u : units)
            if (u.phase == p) {
                s += (first ? "" : ",") + std::to_string(u.addr);
                first = false;
            }
        s += "}";
    }
    return s;
}

topology make_topology(std::optional<std::uint32_t> short_ids,
                       const std::map<int, ac_info>& phase_frames,
                       const std::map<std::uint8_t, config_info>& configs,
                       const std::vector<std::uint8_t>& probed) {
    topology t;
    if (const auto it = phase_frames.find(1); it != phase_frames.end())
        t.phases = std::clamp(it->second.phases(), 1, 3);
    else if (!phase_frames.empty())  // L1 master silent: at least as many phases as answered
        t.phases = std::clamp(phase_frames.rbegin()->first, 1, 3);
    std::uint32_t ids = short_ids.value_or(0);
    t.from_config = short_ids.has_value() && ids != 0;
    if (!t.from_config)
        for (auto a : probed)
            if (a < 32) ids |= 1u << a;
    ids |= 1u;  // the MK3 always talks to unit 0
    for (std::uint8_t a = 0; a < 32; ++a) {
        if (!(ids & (1u << a))) continue;
        vebus_unit u;
        u.addr = a;
        u.phase = t.phases == 1 ? 0 : a % t.phases;
        if (const auto c = configs.find(a); c != configs.end()) {
            u.unique = c->second.unique;
            if (c->second.addr != a)
                t.warnings.push_back("unit " + std::to_string(a) + ": its config frame names " +
                                     "address " + std::to_string(c->second.addr));
        }
        t.units.push_back(u);
    }
    for (int p = 0; p < t.phases; ++p) {
        for (auto& u : t.units)
            if (u.phase == p) {
                u.master = true;  // the lowest address of the phase
                break;
            }
        const int found = t.found_on(p);
        const auto f = phase_frames.find(p + 1);
        if (f == phase_frames.end()) {
            t.per_phase[p] = std::max(found, 1);
            continue;
        }
        const int factor = std::max<int>(1, f->second.inverter_factor);
        t.per_phase[p] = factor;
        if (factor != found)
            t.warnings.push_back("L" + std::to_string(p + 1) + ": the phase frame counts " +
                                 std::to_string(factor) + " unit(s), " + std::to_string(found) +
                                 " found; setpoints are divided by " + std::to_string(factor));
        if (found == 0)
            t.warnings.push_back("L" + std::to_string(p + 1) + ": no unit found on this phase");
    }
    return t;
}

void vebus_system::set_topology(topology t) {
    topo_ = std::move(t);
    // Keeps the scales already read, and what discovery found silent until it answers again.
    for (const auto& u : topo_.units) units_[u.addr];
}

bool vebus_system::apply(std::uint8_t selected, const frame& request, const frame& reply) {
    if (is_winmon(request)) {
        main().unsolicited(reply);  // LEDs appended to any reply
        const bool ok = unit(selected).apply(request, reply);
        if (ok) lost_units_.erase(selected);
        return ok;
    }
    const int n = info_number(request);
    if (n == 2 || n == 3 || n == 4) {
        const auto a = parse_ac_info(reply);
        if (!a || n == 4) return a.has_value();
        auto& s = phase_frames_[n - 1];
        s.set_scales(main().scales());
        s.apply_phase(*a);
        lost_phases_[n - 1] = false;
        return true;
    }
    if (n == 7) return parse_config_info(reply).has_value();
    const bool ok = main().apply(request, reply);
    if (ok && n == 1) lost_phases_[0] = false;
    return ok;
}

void vebus_system::sent(const frame& request) {
    for (auto& [addr, s] : units_) s.sent(request);
}

void vebus_system::lost(std::uint8_t selected, const frame& request) {
    if (is_winmon(request)) lost_units_.insert(selected);
    const int n = info_number(request);
    if (n >= 1 && n <= 3) lost_phases_[n - 1] = true;
}

namespace {
const std::vector<std::string>& energy_names() {
    static const std::vector<std::string> names = {
        "energy_acin1_to_acout",    "energy_acin1_to_inverter", "energy_acin2_to_acout",
        "energy_acin2_to_inverter", "energy_acout_to_acin1",    "energy_acout_to_acin2",
        "energy_inverter_to_acin1", "energy_inverter_to_acin2", "energy_inverter_to_acout",
        "energy_out_to_inverter"};
    return names;
}
}  // namespace

energy_flows split_flows(double in, double out) {
    energy_flows f;
    if (in >= 0) {
        f.in_to_out = std::clamp(out, 0.0, in);
        f.in_to_inverter = in - f.in_to_out;
        if (out > in) f.inverter_to_out = out - in;
        if (out < 0) f.out_to_inverter = -out;
    } else {
        const double export_w = -in, surplus = std::max(0.0, -out);
        f.out_to_in = std::min(export_w, surplus);
        f.inverter_to_in = export_w - f.out_to_in;
        if (surplus > export_w) f.out_to_inverter = surplus - export_w;
        if (out > 0) f.inverter_to_out = out;
    }
    return f;
}

void vebus_system::integrate(double seconds) {
    if (seconds <= 0 || seconds > 10) return;  // a gap: nothing known about it
    // The active input (F 5: 0 = AC input 1, 1 = AC input 2) takes the AC-in flows.
    const bool in2 = main().values().active_input.value_or(0) == 1;
    const std::string in = in2 ? "acin2" : "acin1";
    for (int p = 0; p < std::max(1, topo_.phases); ++p) {
        const std::string sfx = p == 0 ? "" : "_l" + std::to_string(p + 1);
        const auto pin = core::as_double(point("ac_in_p" + sfx));
        const auto pout = core::as_double(point("ac_out_p" + sfx));
        if (!pin || !pout) continue;
        const auto f = split_flows(*pin, *pout);
        const double h = seconds / 3600.0 / 1000.0;  // W over `seconds` -> kWh
        energy_kwh_["energy_" + in + "_to_acout"] += f.in_to_out * h;
        energy_kwh_["energy_" + in + "_to_inverter"] += f.in_to_inverter * h;
        energy_kwh_["energy_acout_to_" + in] += f.out_to_in * h;
        energy_kwh_["energy_inverter_to_" + in] += f.inverter_to_in * h;
        energy_kwh_["energy_inverter_to_acout"] += f.inverter_to_out * h;
        energy_kwh_["energy_out_to_inverter"] += f.out_to_inverter * h;
    }
}

const std::vector<std::string>& vebus_system::point_names() {
    static const std::vector<std::string> names = [] {
        auto all = multi_state::point_names();
        for (const char* sfx : {"_l2", "_l3"})
            for (const auto& b : phase_bases()) all.push_back(b + sfx);
        all.push_back("units");
        for (const auto& e : energy_names()) all.push_back(e);
        return all;
    }();
    return names;
}

std::optional<double> vebus_system::phase_sum(int phase, std::uint8_t id, double sign) const {
    double sum = 0;
    int n = 0;
    for (const auto& u : topo_.units) {
        if (u.phase != phase) continue;
        const auto it = units_.find(u.addr);
        if (lost_units_.contains(u.addr) || it == units_.end()) return std::nullopt;
        const auto v = it->second.ram_scaled(id);
        if (!v) return std::nullopt;
        sum += sign * *v;
        ++n;
    }
    if (n == 0) return std::nullopt;
    return sum;
}

core::value vebus_system::phase_point(int p, const std::string& base) const {
    if (p >= topo_.phases) return {};
    if (base.starts_with("alarm_")) {
        if (alarms_ == phase_alarms::zero && p > 0) return std::int64_t{0};
        return main().point(base);  // 'L' is system-wide: mirrored into every phase
    }
    if (lost_phases_[p] && (base != "ac_in_p" && base != "ac_out_p")) return {};
    auto num = [](std::optional<double> v) -> core::value {
        return v ? core::value{*v} : core::value{};
    };
    if (base == "ac_in_p") return num(phase_sum(p, ram::input_power, -1));  // + = import
    if (base == "ac_out_p") return num(phase_sum(p, ram::output_power, 1));
    return p == 0 ? main().point(base) : phase_frames_[p].point(base);
}

core::value vebus_system::point(const std::string& name) const {
    if (name == "units")
        return static_cast<std::int64_t>(std::max<std::size_t>(1, topo_.units.size()));
    if (name.starts_with("energy_")) {
        const auto it = energy_kwh_.find(name);
        return it == energy_kwh_.end() ? 0.0 : it->second;
    }
    // One unit: exactly what the single-Multi driver always served.
    if (!topo_.multi_unit()) {
        if (name.ends_with("_l2") || name.ends_with("_l3")) return {};
        return main().point(name);
    }
    int phase = 0;
    std::string base = name;
    if (name.ends_with("_l2") || name.ends_with("_l3")) {
        phase = name[name.size() - 1] - '1';
        base = name.substr(0, name.size() - 3);
    }
    if (std::find(phase_bases().begin(), phase_bases().end(), base) != phase_bases().end())
        return phase_point(phase, base);
    if (name == "phases") return std::int64_t{topo_.phases};
    // The battery: one bank, every unit's current summed (the F 0 frame says the same).
    if (name == "bat_i" || name == "bat_p" || name == "bat_state") {
        double amps = 0;
        for (int p = 0; p < topo_.phases; ++p) {
            const auto a = phase_sum(p, ram::ibat, 1);
            if (!a) return {};
            amps += *a;
        }
        if (name == "bat_i") return amps;
        const auto v = main().ram_scaled(ram::ubat);
        if (!v) return {};
        const double w = *v * amps;
        if (name == "bat_p") return w;
        return std::int64_t{std::fabs(w) < 1.0 ? 0 : w > 0 ? 1 : 2};
    }
    // System values are the L1 master's.
    if (lost_units_.contains(0) && (name == "soc" || name == "bat_v")) return {};
    return main().point(name);
}

}  // namespace vx::devices::vebus
