#include "vxbridge/devices/vebus/mk3_messages.hpp"

#include <cmath>
#include <cstdlib>

namespace vx::devices::vebus {

namespace {

frame mk2(char command, std::vector<std::uint8_t> data = {}) {
    return frame{frame_type::mk2, static_cast<std::uint8_t>(command), std::move(data), {}};
}

std::uint16_t le16(const std::vector<std::uint8_t>& d, std::size_t i) {
    return static_cast<std::uint16_t>(d[i] | (d[i + 1] << 8));
}

std::uint32_t le24(const std::vector<std::uint8_t>& d, std::size_t i) {
    return static_cast<std::uint32_t>(d[i] | (d[i + 1] << 8) | (d[i + 2] << 16));
}

bool is_winmon_letter(std::uint8_t c) {
    return c == 'W' || c == 'X' || c == 'Y' || c == 'Z';
}

}  // namespace

frame version_request() {
    return mk2('V');
}
frame address_request(std::uint8_t address) {
    return mk2('A', {0x01, address});
}
frame led_request() {
    return mk2('L');
}
frame info_request(std::uint8_t which) {
    return mk2('F', {which});
}

frame config_request(std::uint8_t addr) {
    return mk2('F', {0x07, addr});
}

frame snapshot_request(std::span<const std::uint8_t> ids) {
    std::vector<std::uint8_t> d{0x06};
    d.insert(d.end(), ids.begin(), ids.end());
    return mk2('F', std::move(d));
}

frame winmon_request(char letter, std::uint8_t command, std::span<const std::uint8_t> args) {
    std::vector<std::uint8_t> d{command};
    d.insert(d.end(), args.begin(), args.end());
    return mk2(letter, std::move(d));
}

frame read_ram_request(char letter, std::span<const std::uint8_t> ids) {
    return winmon_request(letter, winmon::read_ram, ids);
}

frame ram_info_request(char letter, std::uint8_t id) {
    // 'W' always carries two data bytes; X/Y/Z take the id alone (section 2.2).
    if (letter == 'W') {
        const std::uint8_t args[] = {id, 0};
        return winmon_request(letter, winmon::ram_info, args);
    }
    const std::uint8_t args[] = {id};
    return winmon_request(letter, winmon::ram_info, args);
}

// WriteViaID (0x37): flags bit0 = setting, bit1 = RAM only / no EEPROM (section 1.6).
frame write_ram_request(char letter, std::uint8_t id, std::int16_t value, bool no_eeprom) {
    const auto u = static_cast<std::uint16_t>(value);
    const std::uint8_t args[] = {static_cast<std::uint8_t>(no_eeprom ? 0x02 : 0x00), id,
                                 static_cast<std::uint8_t>(u & 0xFF),
                                 static_cast<std::uint8_t>(u >> 8)};
    return winmon_request(letter, winmon::write_via_id, args);
}

frame read_snapshot_request(char letter) {
    return winmon_request(letter, winmon::read_snapshot, {});
}

frame device_state_request(char letter) {
    const std::uint8_t args[] = {0x00, 0x00};
    return winmon_request(letter, winmon::device_state, args);
}

frame state_request(std::uint8_t switch_state, std::optional<std::uint16_t> limit) {
    const std::uint16_t l = limit.value_or(0x8000);
    return mk2('S', {switch_state, static_cast<std::uint8_t>(l & 0xFF),
                     static_cast<std::uint8_t>(l >> 8), 0x01, 0x80});
}

frame mode2_init_request() {
    return mk2('S', {0x03, 0x00, 0x80, 0x01, 0x90, 0x00, 0x00, 0x00});
}

frame sleep_frame() {
    return frame{frame_type::vebus_3f, 0, {0x04, 0x00, 0x00, 0x00}, {}};
}
frame wake_frame() {
    return frame{frame_type::vebus_3f, 0, {0x07, 0x00, 0x00, 0x00}, {}};
}

std::optional<version_reply> parse_version(const frame& f) {
    if (f.type != frame_type::mk2 || f.command != 'V' || f.data.size() < 4) return std::nullopt;
    version_reply r;
    r.version = static_cast<std::uint32_t>(f.data[0] | (f.data[1] << 8) | (f.data[2] << 16) |
                                           (static_cast<std::uint32_t>(f.data[3]) << 24));
    r.mode = f.data.size() > 4 ? f.data[4] : 0;
    return r;
}

std::optional<led_reply> parse_led(const frame& f) {
    if (f.type != frame_type::mk2 || f.command != 'L' || f.data.size() < 2) return std::nullopt;
    led_reply r{f.data[0], f.data[1], {}, {}};
    if (f.data.size() >= 4) {
        r.alarms = f.data[2];
        r.vebus_error = static_cast<std::uint8_t>(f.data[3] & 0x1F);
    }
    return r;
}

// Offsets below are the doc's buf[k] = data[k - 1] (data starts after the type byte).
std::optional<config_info> parse_config_info(const frame& f) {
    if (f.type != frame_type::info || f.data.size() < 14) return std::nullopt;
    const auto& d = f.data;
    const auto le32 = [&](std::size_t i) {
        return static_cast<std::uint32_t>(le16(d, i)) |
               (static_cast<std::uint32_t>(le16(d, i + 2)) << 16);
    };
    return config_info{le32(0), d[4], le32(7), d[13]};
}

std::optional<ac_info> parse_ac_info(const frame& f) {
    if (f.type != frame_type::info || f.data.size() < 14 || f.data[4] == kDcPhaseMarker)
        return std::nullopt;
    const auto& d = f.data;
    ac_info a;
    a.bf_factor = d[0];
    a.inverter_factor = d[1];
    a.state = d[3];
    a.phase_info = d[4];
    a.mains_v = le16(d, 5);
    a.mains_i = static_cast<std::int16_t>(le16(d, 7));
    a.inverter_v = le16(d, 9);
    a.inverter_i = static_cast<std::int16_t>(le16(d, 11));
    a.mains_period = d[13];
    return a;
}

std::optional<dc_info> parse_dc_info(const frame& f) {
    if (f.type != frame_type::info || f.data.size() < 14 || f.data[4] != kDcPhaseMarker)
        return std::nullopt;
    const auto& d = f.data;
    return dc_info{le16(d, 5), le24(d, 7), le24(d, 10), d[13]};
}

std::optional<ac_in_config> parse_ac_in_config(const frame& f) {
    if (f.type != frame_type::ac_in_config || f.data.size() < 12) return std::nullopt;
    const auto& d = f.data;
    return ac_in_config{d[1], d[2], d[3], d[4], le16(d, 5), le16(d, 7), le16(d, 9), d[11]};
}

std::optional<winmon_reply> parse_winmon(const frame& f) {
    if (f.type != frame_type::mk2 || !is_winmon_letter(f.command) || f.data.empty())
        return std::nullopt;
    return winmon_reply{static_cast<char>(f.command), f.data[0],
                        std::vector<std::uint8_t>(f.data.begin() + 1, f.data.end())};
}

std::vector<std::uint16_t> values_of(const winmon_reply& r) {
    std::vector<std::uint16_t> v;
    for (std::size_t i = 0; i + 1 < r.data.size(); i += 2) v.push_back(le16(r.data, i));
    return v;
}

double ram_scale::factor() const {
    const int a = std::abs(static_cast<int>(scale));
    return a >= 0x4000 ? 1.0 / (0x8000 - a) : static_cast<double>(a);
}

double ram_scale::decode(std::uint16_t raw) const {
    if (is_bit()) return (raw >> (scale - 1)) & 1;
    const int v = scale < 0 ? static_cast<std::int16_t>(raw) : raw;
    return factor() * (v + offset);
}

std::uint16_t ram_scale::encode(double value) const {
    if (is_bit()) return static_cast<std::uint16_t>(value != 0 ? 1u << (scale - 1) : 0u);
    const long v = std::lround(value / factor()) - offset;
    return static_cast<std::uint16_t>(v);
}

std::optional<ram_scale> parse_ram_info(const winmon_reply& r) {
    if (r.code != winmon::ram_info_scale) return std::nullopt;
    const auto& d = r.data;
    if (d.size() < 2) return ram_scale{};  // empty 0x8E = not supported
    ram_scale s;
    s.scale = static_cast<std::int16_t>(le16(d, 0));
    if (d.size() >= 5 && d[2] == winmon::ram_info_offset)
        s.offset = static_cast<std::int16_t>(le16(d, 3));
    else if (d.size() >= 4)
        s.offset = static_cast<std::int16_t>(le16(d, 2));  // v2xx: 8E <scale> <offset>
    return s;
}

std::optional<double> period_to_hz(const ram_scale& s, std::uint8_t raw) {
    if (raw == 0x00 || raw == 0xFF || !s.supported()) return std::nullopt;
    const double period = s.decode(raw);
    if (period <= 0) return std::nullopt;
    return 10.0 / period;
}

}  // namespace vx::devices::vebus

namespace vx::devices::vebus {

bool expects_reply(const frame& r) {
    if (r.type != frame_type::mk2) return false;
    if (r.command == 'F') return r.data.empty() || (r.data[0] != 0x06 && r.data[0] != 0x08);
    return true;
}

bool is_reply_to(const frame& req, const frame& rep) {
    if (req.type != frame_type::mk2) return false;
    if (req.command == 'F') {
        const std::uint8_t which = req.data.empty() ? 0xFF : req.data[0];
        if (which == 5) return rep.type == frame_type::ac_in_config;
        if (rep.type != frame_type::info || rep.data.size() < 5) return false;
        return which == 0 ? rep.data[4] == kDcPhaseMarker : rep.data[4] != kDcPhaseMarker;
    }
    return rep.type == frame_type::mk2 && rep.command == req.command;
}

}  // namespace vx::devices::vebus
