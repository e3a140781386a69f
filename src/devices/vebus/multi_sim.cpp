#include "vxbridge/devices/vebus/multi_sim.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "vxbridge/devices/vebus/mk3_messages.hpp"

namespace vx::devices::vebus {

namespace {

// RAM-variable infos of the MultiPlus-II 48/3000 (section 1.7; scale, offset).
struct info {
    std::int16_t scale;
    std::int16_t offset;
};
info ram_info_of(std::uint8_t id) {
    switch (id) {
        case 0:
        case 2:
        case 3:  // declared unsigned, reported signed (section 1.5)
        case 4:
        case 6:
            return {static_cast<std::int16_t>(0x7F9C), 0};  // x0.01
        case 1:
        case 9:
            return {static_cast<std::int16_t>(0x8064), 0};  // x0.01 signed
        case 5:
            return {static_cast<std::int16_t>(-32758), 0};  // x0.1 signed
        case 7:
            return {static_cast<std::int16_t>(0x7857), 256};
        case 8:
            return {static_cast<std::int16_t>(0x7C2F), 0};
        case 11:
            return {5, static_cast<std::int16_t>(0x8000)};  // bit 4
        case 12:
            return {6, static_cast<std::int16_t>(0x8000)};  // bit 5
        case 13:
            return {static_cast<std::int16_t>(0x7F38), 0};  // 1/200
        case 14:
        case 15:
        case 16:
        case 17:
        case 18:
        case 19:
            return {-1, 0};  // W, signed x1
        default:
            return {0, 0};  // not supported
    }
}

void put16(std::vector<std::uint8_t>& d, std::uint16_t v) {
    d.push_back(static_cast<std::uint8_t>(v & 0xFF));
    d.push_back(static_cast<std::uint8_t>(v >> 8));
}

frame mk2_reply(std::uint8_t letter, std::vector<std::uint8_t> data) {
    return frame{frame_type::mk2, letter, std::move(data), {}};
}

constexpr std::uint8_t kEssHeaderId = 130;  // assistant table as scanned on an MP-II (section 1.11)

}  // namespace

std::optional<std::pair<int, int>> parse_topology(std::string_view t) {
    static constexpr std::pair<int, int> known[] = {{1, 1}, {1, 2}, {1, 3}, {2, 1}, {3, 1}, {3, 2}};
    if (t.size() != 3 || t[1] != 'x') return std::nullopt;
    const std::pair<int, int> v{t[0] - '0', t[2] - '0'};
    for (const auto& k : known)
        if (k == v) return v;
    return std::nullopt;
}

// Units get short addresses as the multi-unit notes section 1.2 / 7.1 describe: contiguous from
// 0, phase = addr % phases, the phase masters first (addr < phases); a single-phase parallel
// system uses 0,1,2 or, with the stride3 scheme, 0,3,6.
multi_sim::multi_sim(multi_sim_options o) : o_(o), soc_(o.initial_soc) {
    o_.phases = std::clamp(o_.phases, 1, 3);
    o_.units_per_phase = std::clamp(o_.units_per_phase, 1, 3);
    const int n = o_.phases * o_.units_per_phase;
    for (int i = 0; i < n; ++i) {
        unit u;
        const bool stride =
            o_.phases == 1 && o_.address_scheme == multi_sim_options::scheme::stride3;
        u.addr = static_cast<std::uint8_t>(stride ? 3 * i : i);
        u.phase = i % o_.phases;
        u.index = i / o_.phases;
        u.master = u.index == 0;
        units_.push_back(u);
        ++phase_[u.phase].units;
    }
    set_load(o_.load_w);
    set_pv(o_.pv_w);
}

namespace {
// How the site's load and PV are shared over the phases (unequal, so the phases differ).
double phase_share(int phases, int p) {
    static constexpr double two[] = {0.55, 0.45}, three[] = {0.40, 0.33, 0.27};
    return phases == 1 ? 1.0 : phases == 2 ? two[p] : three[p];
}
}  // namespace

void multi_sim::set_load(double w) {
    o_.load_w = w;
    for (int p = 0; p < o_.phases; ++p) phase_[p].load_w = w * phase_share(o_.phases, p);
}

void multi_sim::set_phase_load(int p, double w) {
    if (p < 0 || p >= o_.phases) return;
    phase_[p].load_w = w;
    o_.load_w = 0;
    for (int k = 0; k < o_.phases; ++k) o_.load_w += phase_[k].load_w;
}

void multi_sim::set_pv(double w) {
    o_.pv_w = w;
    for (int p = 0; p < o_.phases; ++p) phase_[p].pv_w = w * phase_share(o_.phases, p);
}

double multi_sim::input_power_import() const {
    double sum = 0;
    for (int p = 0; p < o_.phases; ++p) sum += phase_[p].in_p;
    return sum;
}

double multi_sim::out_power(int p) const {
    return asleep_ || switch_ == 4 ? 0.0 : phase_[p].load_w - phase_[p].pv_w;
}

double multi_sim::ac_out_power() const {
    double sum = 0;
    for (int p = 0; p < o_.phases; ++p) sum += out_power(p);
    return sum;
}

const multi_sim::unit* multi_sim::find(std::uint8_t addr) const {
    for (const auto& u : units_)
        if (u.addr == addr) return &u;
    return nullptr;
}

const multi_sim::unit* multi_sim::master_of(int phase) const {
    for (const auto& u : units_)
        if (u.phase == phase && u.master) return &u;
    return nullptr;
}

std::uint32_t multi_sim::short_ids() const {
    std::uint32_t ids = 0;
    for (const auto& u : units_) ids |= 1u << u.addr;
    return ids;
}

bool multi_sim::set_unit_present(std::uint8_t addr, bool present) {
    for (auto& u : units_)
        if (u.addr == addr) {
            u.present = present;
            return true;
        }
    return false;
}

std::uint8_t multi_sim::vebus_error() const {
    std::uint8_t e = 0;
    for (const auto& u : units_)
        if (!u.present) e = u.master ? 17 : std::max<std::uint8_t>(e, 3);
    return e;
}

std::string multi_sim::topology() const {
    return std::to_string(o_.phases) + "x" + std::to_string(o_.units_per_phase);
}

// +-1 % per unit around an equal share: 0.99/1.01 of half, 0.98/1.00/1.02 of a third.
double multi_sim::share(const unit& u) const {
    const int n = phase_[u.phase].units;
    return (1.0 + 0.01 * (2 * u.index - (n - 1))) / n;
}

double multi_sim::phase_voltage(int p) const {
    static constexpr double v[] = {230.0, 230.1, 229.9};
    return v[p];
}

frame multi_sim::version_frame() const {
    return mk2_reply(
        'V', {0x24, 0xDB, 0x11, 0x00, static_cast<std::uint8_t>(address_set_ ? selected_ : 'B')});
}

std::uint8_t multi_sim::phase_state(int p) const {
    if (asleep_ || switch_ == 4) return 2;  // off
    if (!o_.mains) return 4;                // inverting
    if (phase_[p].ess_active) return 9;     // charge (ESS control: bulk)
    return switch_ == 2 ? 4 : 8;            // passthru
}

site_powers day_profile(double hour) {
    hour = std::fmod(std::fmod(hour, 24.0) + 24.0, 24.0);
    const auto bump = [&](double centre, double width, double height) {
        const double d = (hour - centre) / width;
        return height * std::exp(-d * d);
    };
    const double load = 250 + bump(7.5, 1.0, 1200) + bump(12.5, 1.0, 600) + bump(19.5, 1.5, 1800);
    const double pv =
        hour > 6 && hour < 20 ? 3500 * std::pow(std::sin((hour - 6) / 14 * M_PI), 2) : 0;
    return {std::round(load), std::round(pv)};
}

void multi_sim::set_soc(double percent) {
    soc_ = std::clamp(percent, 0.0, 100.0);
}

// Plant: in ESS a phase's setpoint (per unit x its units) sets the power at its AC input (+ =
// feed-in in the Multi's sign), reached at ess_gain and ramped at ramp_w_per_s; the battery
// takes what the inputs bring minus what AC-out needs (load - PV). A phase without a refreshed
// setpoint passes AC-out through.
void multi_sim::tick(clock::time_point now) {
    if (last_tick_ == clock::time_point{}) last_tick_ = now;
    const double dt = std::chrono::duration<double>(now - last_tick_).count();
    last_tick_ = now;
    bat_p_ = 0;
    for (int p = 0; p < o_.phases; ++p) {
        auto& ph = phase_[p];
        if (ph.ess_active && now - ph.ess_written > o_.ess_timeout) {  // assistant timeout
            ph.ess_active = false;
            ph.ess_ram = 0;
        }
        const double out = out_power(p);  // < 0: PV surplus
        if (!o_.mains) {
            ph.in_p = 0;
        } else if (ph.ess_active) {
            const double target = -static_cast<double>(ph.ess_ram) * ph.units * o_.ess_gain;
            const double step = o_.ramp_w_per_s * dt;
            ph.in_p += std::clamp(target - ph.in_p, -step, step);
        } else {
            ph.in_p = out;  // passthru
        }
        bat_p_ += ph.in_p - out;
    }
    if ((soc_ >= 100 && bat_p_ > 0) || (soc_ <= 0 && bat_p_ < 0)) {  // full or empty
        for (int p = 0; p < o_.phases; ++p) phase_[p].in_p = o_.mains ? out_power(p) : 0.0;
        bat_p_ = o_.mains ? 0.0 : -ac_out_power();
        if (soc_ <= 0 && bat_p_ < 0) bat_p_ = 0;
    }
    soc_ = std::clamp(soc_ + bat_p_ * dt / 3600.0 / o_.capacity_wh * 100.0, 0.0, 100.0);
    bat_v_ = 48.0 + 6.0 * soc_ / 100.0 + bat_p_ / 1000.0 * 0.4;  // open-circuit + IR drop
    bat_i_ = bat_p_ / bat_v_;
}

// One unit's RAM variables: its share of its phase, its own small voltage offsets.
std::uint16_t multi_sim::ram(const unit& u, std::uint8_t id) const {
    const int p = u.phase;
    const double ac_in_v = o_.mains ? phase_voltage(p) + 0.02 * u.index : 0.0;
    const double k = share(u);
    const double in = phase_[p].in_p * k, out = out_power(p) * k;
    auto enc = [](double v, double f) { return static_cast<std::uint16_t>(std::lround(v / f)); };
    switch (id) {
        case 0:
            return enc(ac_in_v, 0.01);
        case 1:
            return enc(ac_in_v > 0 ? in / ac_in_v : 0.0, 0.01);
        case 2:
            return enc(phase_voltage(p) + 0.02 * u.index, 0.01);
        case 3:
            return enc(out / 230.0, 0.01);
        case 4:
            return enc(bat_v_ + 0.01 * u.index, 0.01);
        case 5:
            return enc((in - out) / bat_v_, 0.1);
        case 13:
            return static_cast<std::uint16_t>(std::lround(soc_ * 2.0));  // 1/200 fraction
        case 14:
            return static_cast<std::uint16_t>(std::lround(in - out));
        case 15:
            return static_cast<std::uint16_t>(std::lround(-in));  // + = export
        case 16:
            return static_cast<std::uint16_t>(std::lround(out));
        case 128:
            return 0x0090;
        case 129:
            return 0x8800;
        case kEssHeaderId:
            return 0x0054;  // ESS, 4 variables
        case kEssHeaderId + 1:
            return static_cast<std::uint16_t>(u.master ? phase_[p].ess_ram : 0);
        case 135:
            return 0x00A1;
        default:
            return 0;
    }
}

// Phase p's frame from its master: byte 5 is 7 + phases on L1, 8 - p on L2/L3 (velib's check);
// both factors = the units on the phase; the currents are the master's own.
frame multi_sim::ac_frame(int p) const {
    const auto& m = *master_of(p);
    const auto n = static_cast<std::uint8_t>(phase_[p].units);
    const auto info = static_cast<std::uint8_t>(p == 0 ? 7 + o_.phases : 8 - p);
    std::vector<std::uint8_t> d{n, n, 0x01, phase_state(p), info};
    put16(d, ram(m, 0));
    put16(d, ram(m, 1));
    put16(d, ram(m, 2));
    put16(d, ram(m, 3));
    d.push_back(o_.mains ? 0xC3 : 0x00);  // mains period: 50.1 Hz with scale 1/977
    return frame{frame_type::info, 0, std::move(d), {}};
}

// System DC frame from the L1 master: its battery voltage, the system's currents.
frame multi_sim::dc_frame() const {
    std::vector<std::uint8_t> d{0x00, 0x00, 0x00, 0x00, kDcPhaseMarker};
    put16(d, ram(*master_of(0), 4));
    const auto deci = static_cast<std::uint32_t>(std::lround(std::fabs(bat_i_) * 10.0));
    const std::uint32_t inv = bat_i_ < 0 ? deci : 0, chg = bat_i_ > 0 ? deci : 0;
    for (auto v : {inv, chg})
        for (int k = 0; k < 3; ++k) d.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
    d.push_back(0x88);  // 50.03 Hz
    return frame{frame_type::info, 0, std::move(d), {}};
}

frame multi_sim::ac_in_config_frame() const {
    std::vector<std::uint8_t> d{0x00, static_cast<std::uint8_t>(o_.mains ? 0x01 : 0x10), 0x00, 0x00,
                                0x10};  // one AC input, input 1 active
    put16(d, 10);                       // min 1.0 A
    put16(d, 500);                      // max 50.0 A
    put16(d, limit_);
    d.push_back(switch_ == 4 ? 0x00 : 0x30);
    return frame{frame_type::ac_in_config, 0, std::move(d), {}};
}

// `0F 20 <unique u32> <type> 00 00 <shortIds u32> 00 00 <addr> K` (multi-unit notes 1.3, 7.2;
// the unique number of unit 0 is the notes' example, type 0x20; filler bytes [U]).
frame multi_sim::config_frame(const unit& u) const {
    const std::uint32_t unique = 0x7A1F3388u + u.addr;
    std::vector<std::uint8_t> d;
    for (int k = 0; k < 4; ++k) d.push_back(static_cast<std::uint8_t>(unique >> (8 * k)));
    d.insert(d.end(), {0x20, 0x00, 0x00});
    for (int k = 0; k < 4; ++k) d.push_back(static_cast<std::uint8_t>(short_ids() >> (8 * k)));
    d.insert(d.end(), {0x00, 0x00, u.addr});
    return frame{frame_type::info, 0, std::move(d), {}};
}

std::vector<frame> multi_sim::winmon_reply(const unit& u, const frame& req, clock::time_point now) {
    const auto letter = req.command;
    const std::uint8_t cmd = req.data.empty() ? 0 : req.data[0];
    const std::vector<std::uint8_t> args(req.data.begin() + (req.data.empty() ? 0 : 1),
                                         req.data.end());
    if (busy_) return {mk2_reply(letter, {winmon::not_supported, 0x00})};

    switch (cmd) {
        case winmon::read_ram: {
            std::vector<std::uint8_t> d{winmon::ram_ok};
            for (auto id : args) put16(d, ram(u, id));
            return {mk2_reply(letter, std::move(d))};
        }
        case winmon::ram_info: {
            if (args.empty()) return {mk2_reply(letter, {winmon::not_supported, 0x01})};
            const auto i = ram_info_of(args[0]);
            if (i.scale == 0) return {mk2_reply(letter, {winmon::ram_info_scale})};
            std::vector<std::uint8_t> d{winmon::ram_info_scale};
            put16(d, static_cast<std::uint16_t>(i.scale));
            d.push_back(winmon::ram_info_offset);
            put16(d, static_cast<std::uint16_t>(i.offset));
            return {mk2_reply(letter, std::move(d))};
        }
        case winmon::read_snapshot: {
            std::vector<std::uint8_t> d{winmon::snapshot_reply};
            for (auto id : snapshot_ids_) put16(d, ram(u, id));
            return {mk2_reply(letter, std::move(d))};
        }
        case winmon::write_via_id: {
            if (args.size() < 4 || (args[0] & 0x01))
                return {mk2_reply(letter, {winmon::not_supported, 0x01})};
            if (args[1] != kEssHeaderId + 1)
                return {mk2_reply(letter, {winmon::var_not_supported})};
            using sw = multi_sim_options::slave_write;
            if (!u.master && o_.slave_ess == sw::refuse)
                return {mk2_reply(letter, {winmon::not_supported, 0x00})};
            if (!u.master && o_.slave_ess == sw::ignore)
                return {mk2_reply(letter, {winmon::write_ram_ok})};
            // A phase master (or a slave with slave_ess = apply) sets its phase's per-unit
            // setpoint: every unit of the phase delivers it.
            auto& ph = phase_[u.phase];
            tick(now);  // the plant up to now under the old setpoint
            ph.ess_ram = static_cast<std::int16_t>(args[2] | (args[3] << 8));
            if (u.phase == 0 &&
                (setpoint_history_.empty() || setpoint_history_.back() != ph.ess_ram))
                setpoint_history_.push_back(ph.ess_ram);
            ph.ess_written = now;
            ph.ess_active = true;
            ++ph.writes;
            ++setpoint_writes_;
            return {mk2_reply(letter, {winmon::write_ram_ok})};
        }
        case winmon::device_state: {
            const auto st = phase_state(u.phase);
            return {mk2_reply(
                letter, {winmon::state_reply, st, static_cast<std::uint8_t>(st == 9 ? 1 : 0)})};
        }
        default:
            return {mk2_reply(letter, {winmon::not_supported, 0x00})};
    }
}

std::vector<frame> multi_sim::handle(const frame& req, clock::time_point now) {
    tick(now);
    if (req.type == frame_type::vebus_3f) {  // sleep / wake switch frames: no reply
        if (!req.data.empty()) asleep_ = req.data[0] == 0x04;
        return {};
    }
    if (req.type != frame_type::mk2) return {};
    const auto* l1 = master_of(0);
    switch (req.command) {
        case 'V':
            return {version_frame()};
        case 'A': {
            // Echoed even for an address where no unit exists (multi-unit notes 1.1).
            const std::uint8_t how = req.data.empty() ? 1 : req.data[0];
            if (how == 0x01 && req.data.size() > 1) {
                selected_ = req.data[1];
                address_set_ = true;
                return {mk2_reply('A', {0x01, selected_})};
            }
            if (how == 0x00 && o_.answer_address_read) return {mk2_reply('A', {0x00, selected_})};
            return {};
        }
        case 'L': {
            const std::uint8_t on = static_cast<std::uint8_t>(
                (o_.mains ? 0x01 : 0) | (bat_p_ > 0 ? 0x04 : 0) | (o_.mains ? 0 : 0x10));
            return {mk2_reply('L', {on, 0x00, 0x00, vebus_error(), 0x80, 0x00})};
        }
        case 'F': {
            const std::uint8_t which = req.data.empty() ? 0xFF : req.data[0];
            // Each phase frame comes from its phase master; F 0 and F 5 from the L1 master.
            if (which == 0)
                return l1->present ? std::vector<frame>{dc_frame()} : std::vector<frame>{};
            if (which >= 1 && which <= 4) {
                if (which > o_.phases) {
                    if (!o_.garbage_beyond_phases) return {};
                    return {frame{frame_type::info, 0, std::vector<std::uint8_t>(14, 0xFF), {}}};
                }
                const auto* m = master_of(which - 1);
                return m->present ? std::vector<frame>{ac_frame(which - 1)} : std::vector<frame>{};
            }
            if (which == 5)
                return l1->present ? std::vector<frame>{ac_in_config_frame()}
                                   : std::vector<frame>{};
            if (which == 6) snapshot_ids_.assign(req.data.begin() + 1, req.data.end());
            if (which == 7 && req.data.size() >= 2) {
                const auto* u = find(req.data[1]);
                if (!u || !u->present || (o_.config_needs_s && !s_ext0_)) return {};
                return {config_frame(*u)};
            }
            return {};
        }
        case 'S':
            if (req.data.size() >= 3) {
                if (req.data[0] >= 1 && req.data[0] <= 4) switch_ = req.data[0];
                const std::uint16_t l =
                    static_cast<std::uint16_t>(req.data[1] | (req.data[2] << 8));
                if (l < 0x8000) limit_ = std::clamp<std::uint16_t>(l, 10, 500);
            }
            if (req.data.size() >= 7 && (req.data[6] & 0x04)) s_ext0_ = true;
            return {mk2_reply('S', {})};
        case 'H':
            return {mk2_reply('H', {0x05})};
        case 'W':
        case 'X':
        case 'Y':
        case 'Z': {
            // Winmon frames go to the selected unit; an absent one stays silent.
            const auto* u = find(selected_);
            if (!u || !u->present) return {};
            return winmon_reply(*u, req, now);
        }
        case 'x':
        case 'y':
        case 'z': {
            // msatlow's form: the winmon frame with the unit's address as its last byte.
            if (!o_.lowercase_xyz || req.data.size() < 2) return {};
            const auto* u = find(req.data.back());
            if (!u || !u->present) return {};
            frame upper{frame_type::mk2,
                        static_cast<std::uint8_t>(req.command - 0x20),
                        std::vector<std::uint8_t>(req.data.begin(), req.data.end() - 1),
                        {}};
            return winmon_reply(*u, upper, now);
        }
        default:
            return {};
    }
}

}  // namespace vx::devices::vebus
