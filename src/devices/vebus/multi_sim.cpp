#include "vxbridge/devices/vebus/multi_sim.hpp"

#include <algorithm>
#include <cmath>

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

multi_sim::multi_sim(multi_sim_options o) : o_(o), soc_(o.initial_soc) {}

frame multi_sim::version_frame() const {
    return mk2_reply(
        'V', {0x24, 0xDB, 0x11, 0x00, static_cast<std::uint8_t>(address_set_ ? 0x00 : 'B')});
}

std::uint8_t multi_sim::device_state() const {
    if (asleep_ || switch_ == 4) return 2;  // off
    if (!o_.mains) return 4;                // inverting
    if (ess_active_) return 9;              // charge (ESS control: bulk)
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

// Plant: in ESS the setpoint sets the power at the AC input (+ = feed-in in the Multi's sign),
// reached at ess_gain and ramped at ramp_w_per_s; the battery takes what the input brings minus
// what AC-out needs (load - PV). Without a refreshed setpoint AC-out passes through.
void multi_sim::tick(clock::time_point now) {
    if (last_tick_ == clock::time_point{}) last_tick_ = now;
    const double dt = std::chrono::duration<double>(now - last_tick_).count();
    last_tick_ = now;
    if (ess_active_ && now - ess_written_ > o_.ess_timeout) {  // assistant timeout
        ess_active_ = false;
        ess_ram_ = 0;
    }
    const bool off = asleep_ || switch_ == 4;
    const double out = off ? 0.0 : o_.load_w - o_.pv_w;  // what AC-out needs (< 0: PV surplus)
    if (!o_.mains) {
        in_p_ = 0;
        bat_p_ = -out;
    } else if (ess_active_) {
        const double target = -static_cast<double>(ess_ram_) * o_.ess_gain;  // import
        const double step = o_.ramp_w_per_s * dt;
        in_p_ += std::clamp(target - in_p_, -step, step);
        bat_p_ = in_p_ - out;
    } else {
        in_p_ = out;  // passthru
        bat_p_ = 0;
    }
    if ((soc_ >= 100 && bat_p_ > 0) || (soc_ <= 0 && bat_p_ < 0)) {  // full or empty
        in_p_ = o_.mains ? out : 0.0;
        bat_p_ = 0;
    }
    soc_ = std::clamp(soc_ + bat_p_ * dt / 3600.0 / o_.capacity_wh * 100.0, 0.0, 100.0);
    bat_v_ = 48.0 + 6.0 * soc_ / 100.0 + bat_p_ / 1000.0 * 0.4;  // open-circuit + IR drop
    bat_i_ = bat_p_ / bat_v_;
}

std::uint16_t multi_sim::ram(std::uint8_t id) const {
    const double ac_in_v = o_.mains ? 230.1 : 0.0;
    const double load = asleep_ || switch_ == 4 ? 0.0 : o_.load_w - o_.pv_w;
    auto enc = [](double v, double f) { return static_cast<std::uint16_t>(std::lround(v / f)); };
    switch (id) {
        case 0:
            return enc(ac_in_v, 0.01);
        case 1:
            return enc(ac_in_v > 0 ? in_p_ / ac_in_v : 0.0, 0.01);
        case 2:
            return enc(230.0, 0.01);
        case 3:
            return enc(load / 230.0, 0.01);
        case 4:
            return enc(bat_v_, 0.01);
        case 5:
            return enc(bat_i_, 0.1);
        case 13:
            return static_cast<std::uint16_t>(std::lround(soc_ * 2.0));  // 1/200 fraction
        case 14:
            return static_cast<std::uint16_t>(std::lround(bat_p_));
        case 15:
            return static_cast<std::uint16_t>(std::lround(-in_p_));  // + = export
        case 16:
            return static_cast<std::uint16_t>(std::lround(load));
        case 128:
            return 0x0090;
        case 129:
            return 0x8800;
        case kEssHeaderId:
            return 0x0054;  // ESS, 4 variables
        case kEssHeaderId + 1:
            return static_cast<std::uint16_t>(ess_ram_);
        case 135:
            return 0x00A1;
        default:
            return 0;
    }
}

frame multi_sim::ac_frame() const {
    std::vector<std::uint8_t> d{0x01, 0x01, 0x01, device_state(), 0x08};
    put16(d, ram(0));
    put16(d, ram(1));
    put16(d, ram(2));
    put16(d, ram(3));
    d.push_back(o_.mains ? 0xC3 : 0x00);  // mains period: 50.1 Hz with scale 1/977
    return frame{frame_type::info, 0, std::move(d), {}};
}

frame multi_sim::dc_frame() const {
    std::vector<std::uint8_t> d{0x00, 0x00, 0x00, 0x00, kDcPhaseMarker};
    put16(d, ram(4));
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

std::vector<frame> multi_sim::winmon_reply(const frame& req, clock::time_point now) {
    const auto letter = req.command;
    const std::uint8_t cmd = req.data.empty() ? 0 : req.data[0];
    const std::vector<std::uint8_t> args(req.data.begin() + (req.data.empty() ? 0 : 1),
                                         req.data.end());
    if (busy_) return {mk2_reply(letter, {winmon::not_supported, 0x00})};

    switch (cmd) {
        case winmon::read_ram: {
            std::vector<std::uint8_t> d{winmon::ram_ok};
            for (auto id : args) put16(d, ram(id));
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
            for (auto id : snapshot_ids_) put16(d, ram(id));
            return {mk2_reply(letter, std::move(d))};
        }
        case winmon::write_via_id: {
            if (args.size() < 4 || (args[0] & 0x01))
                return {mk2_reply(letter, {winmon::not_supported, 0x01})};
            if (args[1] != kEssHeaderId + 1)
                return {mk2_reply(letter, {winmon::var_not_supported})};
            ess_ram_ = static_cast<std::int16_t>(args[2] | (args[3] << 8));
            if (setpoint_history_.empty() || setpoint_history_.back() != ess_ram_)
                setpoint_history_.push_back(ess_ram_);

            tick(now);  // the plant up to now under the old setpoint
            ess_written_ = now;
            ess_active_ = true;
            ++setpoint_writes_;
            return {mk2_reply(letter, {winmon::write_ram_ok})};
        }
        case winmon::device_state:
            return {mk2_reply(letter, {winmon::state_reply, device_state(),
                                       static_cast<std::uint8_t>(device_state() == 9 ? 1 : 0)})};
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
    switch (req.command) {
        case 'V':
            return {version_frame()};
        case 'A':
            address_set_ = true;
            return {mk2_reply('A', {0x01, req.data.size() > 1 ? req.data[1] : std::uint8_t{0}})};
        case 'L': {
            const std::uint8_t on = static_cast<std::uint8_t>(
                (o_.mains ? 0x01 : 0) | (bat_p_ > 0 ? 0x04 : 0) | (o_.mains ? 0 : 0x10));
            return {mk2_reply('L', {on, 0x00, 0x00, 0x00, 0x80, 0x00})};
        }
        case 'F': {
            const std::uint8_t which = req.data.empty() ? 0xFF : req.data[0];
            if (which == 0) return {dc_frame()};
            if (which == 1) return {ac_frame()};
            if (which == 5) return {ac_in_config_frame()};
            if (which == 6) snapshot_ids_.assign(req.data.begin() + 1, req.data.end());
            return {};
        }
        case 'S':
            if (req.data.size() >= 3) {
                if (req.data[0] >= 1 && req.data[0] <= 4) switch_ = req.data[0];
                const std::uint16_t l =
                    static_cast<std::uint16_t>(req.data[1] | (req.data[2] << 8));
                if (l < 0x8000) limit_ = std::clamp<std::uint16_t>(l, 10, 500);
            }
            return {mk2_reply('S', {})};
        case 'H':
            return {mk2_reply('H', {0x05})};
        case 'W':
        case 'X':
        case 'Y':
        case 'Z':
            return winmon_reply(req, now);
        default:
            return {};
    }
}

}  // namespace vx::devices::vebus
