#include "vxbridge/devices/vebus/multi_state.hpp"

#include <cmath>

namespace vx::devices::vebus {

namespace {

bool is_winmon(const frame& f) {
    return f.type == frame_type::mk2 &&
           (f.command == 'W' || f.command == 'X' || f.command == 'Y' || f.command == 'Z');
}

}  // namespace

std::optional<double> multi_state::scaled(std::uint8_t id, std::uint16_t raw) const {
    const auto it = scales_.find(id);
    if (it == scales_.end() || !it->second.supported()) return std::nullopt;
    return it->second.decode(raw);
}

std::optional<std::uint16_t> multi_state::ram_raw(std::uint8_t id) const {
    const auto it = raw_.find(id);
    if (it == raw_.end()) return std::nullopt;
    return it->second;
}

std::optional<double> multi_state::ram_scaled(std::uint8_t id) const {
    const auto raw = ram_raw(id);
    return raw ? scaled(id, *raw) : std::nullopt;
}

bool multi_state::has_scales(std::span<const std::uint8_t> ids) const {
    for (auto id : ids)
        if (!scales_.contains(id)) return false;
    return true;
}

void multi_state::ram_value(std::uint8_t id, std::uint16_t raw) {
    raw_[id] = raw;
    const auto v = scaled(id, raw);
    if (!v) return;
    switch (id) {
        case ram::umains:
            m_.ac_in_v = v;
            break;
        case ram::imains:
            m_.ac_in_i = v;
            break;
        case ram::uinv:
            m_.ac_out_v = v;
            break;
        case ram::ubat:
            m_.bat_v = v;
            break;
        case ram::ibat:
            m_.bat_i = v;
            break;
        case ram::charge_state:
            m_.soc = *v * 100.0;
            break;  // fraction -> %
        // InputPower: + = towards the AC input (export); GX power at the input is + = import.
        case ram::input_power:
            m_.ac_in_p = -*v;
            break;
        case ram::output_power:
            m_.ac_out_p = v;
            break;
        default:
            break;
    }
    if (m_.bat_v && m_.bat_i && (id == ram::ubat || id == ram::ibat))
        m_.bat_p = *m_.bat_v * *m_.bat_i;
}

// AC info currents are per unit: multiplied by the back-feed and inverter factors (section 1.5).
void multi_state::apply_phase(const ac_info& a) {
    if (a.state <= 9) m_.device_state = a.state;
    m_.phases = a.phases();
    if (auto v = scaled(ram::umains, a.mains_v)) m_.ac_in_v = v;
    if (auto v = scaled(ram::imains, static_cast<std::uint16_t>(a.mains_i)))
        m_.ac_in_i = *v * std::max<int>(1, a.bf_factor);
    if (auto v = scaled(ram::uinv, a.inverter_v)) m_.ac_out_v = v;
    // Signed although the RAM info may say unsigned (MultiPlus-II, section 1.5).
    if (auto it = scales_.find(ram::iinv); it != scales_.end() && it->second.supported())
        m_.ac_out_i = it->second.factor() * a.inverter_i * std::max<int>(1, a.inverter_factor);
    if (auto it = scales_.find(ram::mains_period); it != scales_.end())
        m_.ac_in_f = period_to_hz(it->second, a.mains_period);
}

void multi_state::apply_dc(const dc_info& d) {
    if (auto v = scaled(ram::ubat, d.ubat)) m_.bat_v = v;
    if (auto it = scales_.find(ram::ibat); it != scales_.end() && it->second.supported()) {
        // Net battery current = from charger - used by inverter; + = charging (GX register 27).
        const double f = it->second.factor();
        m_.bat_i = f * (static_cast<double>(d.charger_i) - static_cast<double>(d.inverter_i));
    }
    if (m_.bat_v && m_.bat_i) m_.bat_p = *m_.bat_v * *m_.bat_i;
    if (auto it = scales_.find(ram::inverter_period); it != scales_.end())
        m_.ac_out_f = period_to_hz(it->second, d.inverter_period);
}

void multi_state::sent(const frame& request) {
    if (request.type == frame_type::mk2 && request.command == 'F' && !request.data.empty() &&
        request.data[0] == 0x06)
        snapshot_ids_.assign(request.data.begin() + 1, request.data.end());
}

void multi_state::unsolicited(const frame& f) {
    if (auto v = parse_version(f)) m_.mk3_version = v->version;
    if (f.leds) {
        m_.led_on = (*f.leds)[0];
        m_.led_blink = (*f.leds)[1];
    }
}

bool multi_state::apply(const frame& request, const frame& reply) {
    unsolicited(reply);  // version and appended LEDs, whatever the reply is
    if (request.type != frame_type::mk2) return false;
    switch (request.command) {
        case 'V':
            return reply.command == 'V';
        case 'A':
        case 'S':
        case 'H':
            return reply.command == request.command;
        case 'L': {
            const auto l = parse_led(reply);
            if (!l) return false;
            m_.led_on = l->on;
            m_.led_blink = l->blink;
            if (l->alarms) m_.alarms = l->alarms;
            if (l->vebus_error) m_.vebus_error = *l->vebus_error;
            return true;
        }
        case 'F': {
            const auto which = request.data.empty() ? 0xFF : request.data[0];
            if (which == 0) {
                const auto d = parse_dc_info(reply);
                if (d) apply_dc(*d);
                return d.has_value();
            }
            if (which >= 1 && which <= 4) {
                const auto a = parse_ac_info(reply);
                if (a && which == 1) apply_phase(*a);
                return a.has_value();
            }
            if (which == 5) {
                const auto c = parse_ac_in_config(reply);
                if (!c) return false;
                m_.active_input = c->active_input();
                m_.input_limit = c->actual_limit / 10.0;
                m_.input_limit_min = c->min_limit / 10.0;
                m_.input_limit_max = c->max_limit / 10.0;
                m_.switch_register = c->switch_register;
                m_.led_on = c->led_on;
                m_.led_blink = c->led_blink;
                return true;
            }
            return false;
        }
        default:
            break;
    }
    if (!is_winmon(request) || request.data.empty()) return false;
    const auto r = parse_winmon(reply);
    if (!r || r->letter != static_cast<char>(request.command)) return false;
    const std::uint8_t cmd = request.data[0];
    const std::vector<std::uint8_t> args(request.data.begin() + 1, request.data.end());
    switch (cmd) {
        case winmon::ram_info:
            if (auto s = parse_ram_info(*r); s && !args.empty()) scales_[args[0]] = *s;
            return r->code == winmon::ram_info_scale;
        case winmon::read_ram: {
            if (r->code == winmon::var_not_supported)
                for (auto id : args) unsupported_.insert(id);
            if (r->code != winmon::ram_ok) return false;

            const auto v = values_of(*r);
            for (std::size_t i = 0; i < v.size() && i < args.size(); ++i) ram_value(args[i], v[i]);
            return true;
        }
        case winmon::read_snapshot: {
            if (r->code != winmon::snapshot_reply) return false;
            const auto v = values_of(*r);
            for (std::size_t i = 0; i < v.size() && i < snapshot_ids_.size(); ++i)
                ram_value(snapshot_ids_[i], v[i]);
            return v.size() >= snapshot_ids_.size();
        }
        case winmon::device_state:
            if (r->code != winmon::state_reply || r->data.size() < 2) return false;
            if (r->data[0] <= 9) m_.device_state = r->data[0];
            m_.charge_state = r->data[1];
            return true;
        case winmon::write_via_id:
            return r->code == winmon::write_ram_ok;
        default:
            return true;
    }
}

// Section 1.10 mapping; Victron's own mk2-dbus is closed, so this is our documented choice.
std::optional<int> gx_state(const measurements& m) {
    if (!m.device_state) return std::nullopt;
    if (m.vebus_error && *m.vebus_error != 0) return 2;  // Fault
    if (m.alarms && (*m.alarms & 0x50)) return 2;        // overload or temperature alarm
    switch (*m.device_state) {
        case 0:
        case 2:
            return 0;  // Off
        case 6:
            return 1;  // Low power (AES)
        case 8:
            return 8;  // Passthru
        case 4:
        case 5:
            return 9;  // Inverting
        case 7:
            return 10;  // Power assist
        case 9:
            switch (m.charge_state.value_or(1)) {
                case 2:
                case 5:
                case 6:
                    return 4;  // Absorption
                case 3:
                    return 5;  // Float
                case 4:
                    return 6;  // Storage
                case 7:
                    return 7;  // Equalize
                default:
                    return 3;  // Bulk
            }
        default:
            return std::nullopt;
    }
}

// Alarm byte -> GX alarm register: 0 ok, 1 warning (pre-alarm bit), 2 alarm.
static int alarm_level(std::uint8_t alarms, std::uint8_t pre, std::uint8_t full) {
    return (alarms & full) ? 2 : (alarms & pre) ? 1 : 0;
}

const std::vector<std::string>& multi_state::point_names() {
    static const std::vector<std::string> names = {"ac_in_v",
                                                   "ac_in_i",
                                                   "ac_in_f",
                                                   "ac_in_p",
                                                   "ac_out_v",
                                                   "ac_out_i",
                                                   "ac_out_f",
                                                   "ac_out_p",
                                                   "bat_v",
                                                   "bat_i",
                                                   "bat_p",
                                                   "soc",
                                                   "bat_state",
                                                   "phases",
                                                   "device_state",
                                                   "charge_state",
                                                   "gx_state",
                                                   "vebus_error",
                                                   "alarm_temperature",
                                                   "alarm_low_battery",
                                                   "alarm_overload",
                                                   "alarm_ripple",
                                                   "led_on",
                                                   "led_blink",
                                                   "active_input",
                                                   "active_source",
                                                   "input_current_limit",
                                                   "input_current_limit_min",
                                                   "input_current_limit_max",
                                                   "mk3_version"};
    return names;
}

core::value multi_state::point(const std::string& n) const {
    auto num = [](const std::optional<double>& v) -> core::value {
        return v ? core::value{*v} : core::value{};
    };
    auto integer = [](auto v) -> core::value {
        return v ? core::value{static_cast<std::int64_t>(*v)} : core::value{};
    };
    const auto& m = m_;
    if (n == "ac_in_v") return num(m.ac_in_v);
    if (n == "ac_in_i") return num(m.ac_in_i);
    if (n == "ac_in_f") return num(m.ac_in_f);
    if (n == "ac_in_p") return num(m.ac_in_p);
    if (n == "ac_out_v") return num(m.ac_out_v);
    if (n == "ac_out_i") return num(m.ac_out_i);
    if (n == "ac_out_f") return num(m.ac_out_f);
    if (n == "ac_out_p") return num(m.ac_out_p);
    if (n == "bat_v") return num(m.bat_v);
    if (n == "bat_i") return num(m.bat_i);
    if (n == "bat_p") return num(m.bat_p);
    if (n == "soc") return num(m.soc);
    if (n == "bat_state") {  // GX 844: 0 idle, 1 charging, 2 discharging
        if (!m.bat_p) return {};
        return std::int64_t{std::fabs(*m.bat_p) < 1.0 ? 0 : *m.bat_p > 0 ? 1 : 2};
    }
    if (n == "phases") return integer(m.phases);
    if (n == "device_state") return integer(m.device_state);
    if (n == "charge_state") return integer(m.charge_state);
    if (n == "gx_state") return integer(gx_state(m));
    if (n == "vebus_error") return integer(m.vebus_error);
    if (n.rfind("alarm_", 0) == 0) {
        if (!m.alarms) return {};
        const std::uint8_t a = *m.alarms;
        if (n == "alarm_temperature") return std::int64_t{alarm_level(a, 0x01, 0x10)};
        if (n == "alarm_low_battery") return std::int64_t{alarm_level(a, 0x02, 0x20)};
        if (n == "alarm_overload") return std::int64_t{alarm_level(a, 0x04, 0x40)};
        if (n == "alarm_ripple") return std::int64_t{alarm_level(a, 0x08, 0x80)};
        return {};
    }
    if (n == "led_on") return integer(m.led_on);
    if (n == "led_blink") return integer(m.led_blink);
    if (n == "active_input") {
        // 240 = disconnected when there is no mains (GX register 29).
        if (m.ac_in_v && *m.ac_in_v < 20) return std::int64_t{240};
        return integer(m.active_input);
    }
    if (n == "active_source") {  // GX 826: 1 grid, 240 not connected
        if (!m.ac_in_v) return {};
        return std::int64_t{*m.ac_in_v < 20 ? 240 : 1};
    }
    if (n == "input_current_limit") return num(m.input_limit);
    if (n == "input_current_limit_min") return num(m.input_limit_min);
    if (n == "input_current_limit_max") return num(m.input_limit_max);
    if (n == "mk3_version") return integer(m.mk3_version);
    return {};
}

scan_step assistant_scan_step(std::uint8_t id, std::uint16_t header) {
    if (header == 0) return {true, std::nullopt, id};
    if ((header >> 4) == 5) return {true, static_cast<std::uint8_t>(id + 1), id};
    const unsigned next = id + 1u + (header & 0x0Fu);  // the reference driver parses (1 + h) & 0xF
    if (next > 0xFF) return {true, std::nullopt, id};
    return {false, std::nullopt, static_cast<std::uint8_t>(next)};
}

}  // namespace vx::devices::vebus
