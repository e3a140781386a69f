// MK3 commands and replies on top of mk3_frame (protocols/vebus-mk3-and-gx.md sections 1.4-1.8,
// 1.12): request builders, typed reply decoders and the RAM-variable scale rule. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "vxbridge/devices/vebus/mk3_frame.hpp"

namespace vx::devices::vebus {

// Winmon commands (section 1.6) and reply codes.
namespace winmon {
constexpr std::uint8_t device_state = 0x0E, read_ram = 0x30, read_setting = 0x31, ram_info = 0x36,
                       write_via_id = 0x37, read_snapshot = 0x38;
constexpr std::uint8_t not_supported = 0x80, ram_ok = 0x85, setting_ok = 0x86, write_ram_ok = 0x87,
                       write_setting_ok = 0x88, ram_info_scale = 0x8E, ram_info_offset = 0x8F,
                       var_not_supported = 0x90, setting_not_supported = 0x91, state_reply = 0x94,
                       snapshot_reply = 0x99, access_level = 0x9B;
}  // namespace winmon

// RAM variable ids (section 1.7).
namespace ram {
constexpr std::uint8_t umains = 0, imains = 1, uinv = 2, iinv = 3, ubat = 4, ibat = 5,
                       inverter_period = 7, mains_period = 8, charge_state = 13,
                       inverter_power = 14, input_power = 15, output_power = 16, assistants = 128;
}  // namespace ram

// Requests.
frame version_request();                      // 'V'
frame address_request(std::uint8_t address);  // 'A' 01 <addr>
frame led_request();                          // 'L'
frame info_request(std::uint8_t which);       // 'F' n: 0 DC, 1..4 AC phase, 5 AC-in config
frame snapshot_request(std::span<const std::uint8_t> ids);  // 'F' 06 <ids>, no reply
frame config_request(std::uint8_t addr);                    // 'F' 07 <addr>: config frame
frame winmon_request(char letter, std::uint8_t command, std::span<const std::uint8_t> args);
frame read_ram_request(char letter, std::span<const std::uint8_t> ids);  // one byte per id
frame ram_info_request(char letter, std::uint8_t id);  // 'W': <id> 00; X/Y/Z: <id>
frame write_ram_request(char letter, std::uint8_t id, std::int16_t value, bool no_eeprom = true);
frame read_snapshot_request(char letter);
frame device_state_request(char letter);  // inquire
// 'S': switch 1 charger-only, 2 inverter-only, 3 on, 4 off; limit in 0.1 A (nullopt: keep).
frame state_request(std::uint8_t switch_state, std::optional<std::uint16_t> limit_deci_amps);
frame mode2_init_request();  // mk2.py 'S' that enables long X/Y/Z frames (section 1.4)
frame sleep_frame();         // 05 3F 04 00 00 00 C5 (section 1.12)
frame wake_frame();          // 05 3F 07 00 00 00 C2

// Replies.
struct version_reply {
    std::uint32_t version = 0;
    std::uint8_t mode = 0;
};
std::optional<version_reply> parse_version(const frame& f);

struct led_reply {
    std::uint8_t on = 0;
    std::uint8_t blink = 0;
    std::optional<std::uint8_t> alarms;       // section 1.10 alarm byte
    std::optional<std::uint8_t> vebus_error;  // & 0x1F
};
std::optional<led_reply> parse_led(const frame& f);

// Raw AC phase info ('F' 1..4, type 0x20, section 1.5); scale with the RAM-var infos.
struct ac_info {
    std::uint8_t bf_factor = 0, inverter_factor = 0, state = 0, phase_info = 0;
    std::uint16_t mains_v = 0;
    std::int16_t mains_i = 0;
    std::uint16_t inverter_v = 0;
    std::int16_t inverter_i = 0;  // signed although declared unsigned (MP-II, section 1.5)
    std::uint8_t mains_period = 0;
    int phases() const { return phase_info >= 0x08 && phase_info <= 0x0B ? phase_info - 7 : 1; }
};
struct dc_info {
    std::uint16_t ubat = 0;
    std::uint32_t inverter_i = 0;  // discharge
    std::uint32_t charger_i = 0;
    std::uint8_t inverter_period = 0;
};
constexpr std::uint8_t kDcPhaseMarker = 0x0C;
std::optional<ac_info> parse_ac_info(const frame& f);
std::optional<dc_info> parse_dc_info(const frame& f);

// 'F' 07 n reply (multi-unit notes section 1.3, velib vebus_device.c): the unit's unique
// number, device type, the shortIds mask of configured units and its own short address.
struct config_info {
    std::uint32_t unique = 0;
    std::uint8_t type = 0;
    std::uint32_t short_ids = 0;
    std::uint8_t addr = 0;
};
std::optional<config_info> parse_config_info(const frame& f);

struct ac_in_config {
    std::uint8_t led_on = 0, led_blink = 0, status = 0, config = 0;
    std::uint16_t min_limit = 0, max_limit = 0, actual_limit = 0;  // 0.1 A
    std::uint8_t switch_register = 0;
    int active_input() const { return config & 0x03; }
};
std::optional<ac_in_config> parse_ac_in_config(const frame& f);

struct winmon_reply {
    char letter = 0;
    std::uint8_t code = 0;
    std::vector<std::uint8_t> data;  // after the code
};
std::optional<winmon_reply> parse_winmon(const frame& f);
// The u16 LE values of a 0x85 / 0x99 reply.
std::vector<std::uint16_t> values_of(const winmon_reply& r);

// RAM-variable scale and offset (GetRAMVarInfo, section 1.8).
struct ram_scale {
    std::int16_t scale = 0;
    std::int16_t offset = 0;

    bool supported() const { return scale != 0; }
    bool is_bit() const { return offset == -32768; }
    double factor() const;
    double decode(std::uint16_t raw) const;
    // The raw value for an engineering value (for writes and the simulator).
    std::uint16_t encode(double value) const;
};
// Accepts every layout of section 1.6: 8E s s 8F o o, 8E s s o o (v2xx), or 8E s s alone.
std::optional<ram_scale> parse_ram_info(const winmon_reply& r);

// Period (RAM 7/8) -> frequency in Hz: f = 10 / (scaled period); nullopt for 0x00/0xFF.
std::optional<double> period_to_hz(const ram_scale& s, std::uint8_t raw);

}  // namespace vx::devices::vebus

namespace vx::devices::vebus {

// Whether `request` gets a reply at all ('F' 06 snapshot, 'F' 08 reset and VE.Bus switch frames
// do not), and whether `reply` is it: matched by command letter or info-frame type, never by
// position, so unsolicited version frames cannot be taken for an answer (section 5).
bool expects_reply(const frame& request);
bool is_reply_to(const frame& request, const frame& reply);

}  // namespace vx::devices::vebus
