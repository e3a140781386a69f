// MK3 codec golden tests: every captured frame of protocols/vebus-mk3-and-gx.md section 2.1
// decodes to its stated meaning and re-encodes to the same bytes; the computed frames of section
// 2.2 are what our encoders produce; the parser resynchronises on garbage.
#include <gtest/gtest.h>

#include "../../support/hex.hpp"

#include "vxbridge/devices/vebus/mk3_messages.hpp"
#include "vxbridge/devices/vebus/multi_sim.hpp"
#include "vxbridge/devices/vebus/multi_state.hpp"

namespace vb = vx::devices::vebus;
using bytes = std::vector<std::uint8_t>;

namespace {

using vx::test::hex;

vb::frame decoded(const std::string& s) {
    vb::frame f;
    const auto b = hex(s);
    EXPECT_EQ(vb::decode(b, f), vb::decode_error::none) << s;
    EXPECT_EQ(vb::encode(f), b) << "re-encode of " << s;
    return f;
}

vb::winmon_reply winmon(const std::string& s) {
    const auto r = vb::parse_winmon(decoded(s));
    EXPECT_TRUE(r) << s;
    return r.value_or(vb::winmon_reply{});
}

vb::ram_scale scale_of(const std::string& s) {
    return vb::parse_ram_info(winmon(s)).value();
}

const vb::ram_scale k001{static_cast<std::int16_t>(0x7F9C), 0};   // x0.01 unsigned
const vb::ram_scale k001s{static_cast<std::int16_t>(0x8064), 0};  // x0.01 signed
const vb::ram_scale kMainsPeriod{static_cast<std::int16_t>(0x7C2F), 0};
const vb::ram_scale kInvPeriod{static_cast<std::int16_t>(0x7857), 256};

TEST(mk3_captured, version_frames) {  // section 2.1 #1-#6
    EXPECT_EQ(vb::encode(vb::version_request()), hex("02 FF 56 A9"));
    auto v = vb::parse_version(decoded("07 FF 56 24 DB 11 00 42 52")).value();
    EXPECT_EQ(v.version, 1170212u);
    EXPECT_EQ(v.mode, 'B');
    EXPECT_EQ(vb::parse_version(decoded("07 FF 56 28 DB 11 00 00 90"))->version, 1170216u);
    EXPECT_EQ(vb::parse_version(decoded("07 FF 56 96 3E 11 00 00 BF"))->version, 1130134u);
    EXPECT_EQ(vb::parse_version(decoded("07 FF 56 98 3E 11 00 00 BD"))->version, 1130136u);
    EXPECT_EQ(vb::parse_version(decoded("07 FF 56 94 3E 11 00 00 C1"))->version, 1130132u);
}

TEST(mk3_captured, address_and_led) {  // #7-#11
    EXPECT_EQ(vb::encode(vb::address_request(0)), hex("04 FF 41 01 00 BB"));
    EXPECT_EQ(decoded("04 FF 41 01 00 BB").data, (bytes{1, 0}));
    EXPECT_EQ(vb::encode(vb::led_request()), hex("02 FF 4C B3"));
    auto l = vb::parse_led(decoded("08 FF 4C 01 0C 00 00 80 00 20")).value();
    EXPECT_EQ(l.on, 0x01);     // mains
    EXPECT_EQ(l.blink, 0x0C);  // bulk + float
    EXPECT_EQ(*l.alarms, 0);
    EXPECT_EQ(*l.vebus_error, 0);
    EXPECT_EQ(vb::parse_led(decoded("06 FF 4C 03 00 00 00 AC"))->on, 0x03);
    EXPECT_EQ(vb::parse_led(decoded("08 FF 4C 09 00 00 00 03 00 A1"))->on, 0x09);
}

TEST(mk3_captured, info_requests) {  // #12-#14
    const std::uint8_t ids[] = {14, 16, 15};
    EXPECT_EQ(vb::encode(vb::snapshot_request(ids)), hex("06 FF 46 06 0E 10 0F 82"));
    EXPECT_EQ(vb::encode(vb::info_request(1)), hex("03 FF 46 01 B7"));
    EXPECT_EQ(vb::encode(vb::info_request(0)), hex("03 FF 46 00 B8"));
}

TEST(mk3_captured, ac_info_frames) {  // #15-#17
    auto a =
        vb::parse_ac_info(decoded("0F 20 01 01 01 09 08 EC 5A 5F FF EC 5A 08 00 C3 08")).value();
    EXPECT_EQ(a.bf_factor, 1);
    EXPECT_EQ(a.inverter_factor, 1);
    EXPECT_EQ(a.state, 9);
    EXPECT_EQ(a.phases(), 1);
    EXPECT_NEAR(k001.decode(a.mains_v), 232.76, 1e-9);
    EXPECT_NEAR(k001s.decode(static_cast<std::uint16_t>(a.mains_i)), -1.61, 1e-9);
    EXPECT_NEAR(k001.decode(a.inverter_v), 232.76, 1e-9);
    EXPECT_NEAR(k001s.decode(static_cast<std::uint16_t>(a.inverter_i)), 0.08, 1e-9);
    EXPECT_NEAR(*vb::period_to_hz(kMainsPeriod, a.mains_period), 50.10, 0.005);

    a = vb::parse_ac_info(decoded("0F 20 01 01 CA 09 08 AA 58 AB 00 AA 58 9A 00 C3 E8")).value();
    EXPECT_NEAR(k001.decode(a.mains_v), 226.98, 1e-9);
    EXPECT_NEAR(k001s.decode(static_cast<std::uint16_t>(a.mains_i)), 1.71, 1e-9);
    EXPECT_NEAR(k001s.decode(static_cast<std::uint16_t>(a.inverter_i)), 1.54, 1e-9);

    a = vb::parse_ac_info(decoded("0F 20 01 01 6D B7 08 77 5B 21 00 77 5B FE FF C3 1E")).value();
    EXPECT_EQ(a.state, 0xB7);  // out of 0..9: the driver must treat it as unknown
    EXPECT_NEAR(k001.decode(a.mains_v), 234.15, 1e-9);
    EXPECT_NEAR(k001s.decode(static_cast<std::uint16_t>(a.inverter_i)), -0.02, 1e-9);
}

TEST(mk3_captured, dc_info_frames) {  // #18-#19
    const auto f = decoded("0F 20 F3 00 C8 02 0C A1 05 00 00 00 28 00 00 88 B2");
    EXPECT_FALSE(vb::parse_ac_info(f));
    auto d = vb::parse_dc_info(f).value();
    EXPECT_NEAR(k001.decode(d.ubat), 14.41, 1e-9);
    EXPECT_EQ(d.inverter_i, 0u);
    EXPECT_EQ(d.charger_i, 40u);  // x0.01 = 0.4 A
    EXPECT_NEAR(*vb::period_to_hz(kInvPeriod, d.inverter_period), 50.03, 0.005);
    d = vb::parse_dc_info(decoded("0F 20 B6 89 6D B7 0C 4E 0A 00 00 00 00 00 00 88 82")).value();
    EXPECT_NEAR(k001.decode(d.ubat), 26.38, 1e-9);
}

TEST(mk3_captured, ram_info_replies) {  // #20-#28
    EXPECT_EQ(vb::encode(vb::ram_info_request('W', 0)), hex("05 FF 57 36 00 00 6F"));
    EXPECT_EQ(vb::encode(vb::ram_info_request('W', 13)), hex("05 FF 57 36 0D 00 62"));
    EXPECT_DOUBLE_EQ(scale_of("08 FF 57 8E 9C 7F 8F 00 00 6A").factor(), 0.01);
    const auto s = scale_of("08 FF 57 8E 64 80 8F 00 00 A1");
    EXPECT_LT(s.scale, 0);
    EXPECT_DOUBLE_EQ(s.decode(0xFF5F), -1.61);
    const auto p = scale_of("08 FF 57 8E 57 78 8F 00 01 B5");
    EXPECT_EQ(p.offset, 256);
    EXPECT_DOUBLE_EQ(p.factor(), 1.0 / 1961);
    EXPECT_DOUBLE_EQ(scale_of("08 FF 57 8E 2F 7C 8F 00 00 DA").factor(), 1.0 / 977);
    const auto bit3 = scale_of("08 FF 57 8E 04 00 8F 00 80 01");
    EXPECT_TRUE(bit3.is_bit());
    EXPECT_EQ(bit3.decode(0x0008), 1);
    EXPECT_EQ(bit3.decode(0x0007), 0);
    EXPECT_EQ(scale_of("08 FF 57 8E 01 00 8F 00 80 04").decode(0x0001), 1);        // id 11: bit 0
    EXPECT_EQ(scale_of("08 FF 57 8E 06 00 8F 00 80 FF").decode(0x0020), 1);        // id 12: bit 5
    EXPECT_EQ(scale_of("08 FF 57 8E 02 00 8F 00 80 03").decode(0x0002), 1);        // bit 1
    EXPECT_DOUBLE_EQ(scale_of("08 FF 57 8E 38 7F 8F 00 00 CE").decode(200), 1.0);  // SoC 100 %
}

TEST(mk3_captured, ram_reads) {  // #29-#34
    const std::uint8_t w[] = {0x0D, 0x00};
    EXPECT_EQ(vb::encode(vb::read_ram_request('W', w)), hex("05 FF 57 30 0D 00 68"));
    EXPECT_EQ(vb::values_of(winmon("05 FF 57 85 C8 00 58")), std::vector<std::uint16_t>{200});
    const std::uint8_t x[] = {0x80, 0x00};
    EXPECT_EQ(vb::encode(vb::read_ram_request('X', x)), hex("05 FF 58 30 80 00 F4"));
    auto v = vb::values_of(winmon("07 FF 58 85 90 00 61 59 D3"));
    EXPECT_EQ(v, (std::vector<std::uint16_t>{0x0090, 0x5961}));
    EXPECT_DOUBLE_EQ(k001.decode(v[1]), 228.81);
    EXPECT_EQ(vb::encode(vb::read_ram_request('W', x)), hex("05 FF 57 30 80 00 F5"));
    v = vb::values_of(winmon("07 FF 57 85 01 00 23 5B 9F"));
    EXPECT_DOUBLE_EQ(k001.decode(v[1]), 233.31);
    const std::uint8_t y[] = {0x86, 0x00};
    EXPECT_EQ(vb::encode(vb::read_ram_request('Y', y)), hex("05 FF 59 30 86 00 ED"));
}

TEST(mk3_captured, snapshots) {  // #35-#37
    EXPECT_EQ(vb::encode(vb::read_snapshot_request('X')), hex("03 FF 58 38 6E"));
    auto r = winmon("09 FF 58 99 89 FE 05 00 72 01 08");
    EXPECT_EQ(r.code, vb::winmon::snapshot_reply);
    auto v = vb::values_of(r);
    EXPECT_EQ(static_cast<std::int16_t>(v[0]), -375);
    EXPECT_EQ(static_cast<std::int16_t>(v[1]), 5);
    EXPECT_EQ(static_cast<std::int16_t>(v[2]), 370);
    v = vb::values_of(winmon("0B FF 58 99 FF FF FF FF 1C 13 00 00 DA"));
    ASSERT_EQ(v.size(), 4u);
    EXPECT_DOUBLE_EQ(k001.decode(v[2]), 48.92);
}

TEST(mk3_captured, ess_setpoint_write_and_replies) {  // #38-#42
    EXPECT_EQ(vb::encode(vb::write_ram_request('Z', 131, 370, false)),
              hex("07 FF 5A 37 00 83 72 01 73"));
    EXPECT_EQ(winmon("03 FF 5A 87 1D").code, vb::winmon::write_ram_ok);
    EXPECT_EQ(winmon("03 FF 58 87 1F").letter, 'X');
    EXPECT_EQ(winmon("05 FF 57 87 00 00 1E").code, vb::winmon::write_ram_ok);
    const auto ns = winmon("04 FF 57 80 00 26");
    EXPECT_EQ(ns.code, vb::winmon::not_supported);
}

TEST(mk3_captured, vebus_frames_with_the_special_checksum) {  // #43-#45
    EXPECT_EQ(vb::encode(vb::wake_frame()), hex("05 3F 07 00 00 00 C2"));
    EXPECT_EQ(vb::encode(vb::sleep_frame()), hex("05 3F 04 00 00 00 C5"));
    for (const char* s :
         {"05 38 04 6C 00 00 0A", "05 38 04 6E 00 00 E8", "05 38 05 00 00 00 3B",
          "05 3F 00 11 00 00 A7", "05 3F C0 72 00 00 70", "06 21 00 00 00 00 00 C7",
          "06 21 FF FF FF FF 80 4D", "06 21 FF FF FF FF 83 4A", "07 21 00 00 00 00 01 00 C5"})
        decoded(s);
}

TEST(mk3_captured, velib_examples) {  // #46
    for (const char* s :
         {"03 FF 58 05 A1", "09 FF 58 82 F0 68 28 00 07 01 96", "05 FF 58 82 F0 68 CA",
          "03 FF 59 06 9F", "05 FF 59 83 28 00 F8", "03 FF 59 88 1D", "05 FF 59 36 00 00 6D",
          "0D FF 5A 89 01 00 00 00 03 00 01 00 03 00 09", "03 FF 59 89 1C"})
        decoded(s);
    const auto w = winmon("07 FF 59 37 01 40 D0 07 52");  // write setting 0x40 = 2000
    EXPECT_EQ(w.code, vb::winmon::write_via_id);
    EXPECT_EQ(w.data, (bytes{0x01, 0x40, 0xD0, 0x07}));
    const auto v2 = scale_of("07 FF 59 8E 9C 7F 00 00 F8");  // v2xx: scale, offset
    EXPECT_DOUBLE_EQ(v2.factor(), 0.01);
    EXPECT_EQ(v2.offset, 0);
    EXPECT_FALSE(scale_of("03 FF 5A 8E 16").supported());
}

TEST(mk3_captured, state_and_ac_in_config) {  // #47-#48
    EXPECT_EQ(vb::encode(vb::state_request(3, 125)), hex("07 FF 53 03 7D 00 01 80 A6"));
    vb::frame f{vb::frame_type::ac_in_config, 0, hex("00 00 00 00 91 64 00 F4 01 C8 00 33"), {}};
    const auto c = vb::parse_ac_in_config(decoded([&] {
                       std::string s;
                       for (auto b : vb::encode(f)) {
                           char x[4];
                           snprintf(x, sizeof x, "%02X ", b);
                           s += x;
                       }
                       return s;
                   }()))
                       .value();
    EXPECT_EQ(c.active_input(), 1);
    EXPECT_EQ(c.min_limit, 100);
    EXPECT_EQ(c.max_limit, 500);
    EXPECT_EQ(c.actual_limit, 200);
    EXPECT_EQ(c.switch_register, 0x33);
    EXPECT_TRUE(c.config & 0x80);  // remote panel detected
}

TEST(mk3_computed, encoders_match_section_2_2) {
    EXPECT_EQ(vb::encode(vb::write_ram_request('X', 131, -370)), hex("07 FF 58 37 02 83 8E FE 5A"));
    EXPECT_EQ(vb::encode(vb::write_ram_request('X', 131, 0)), hex("07 FF 58 37 02 83 00 00 E6"));
    const std::uint8_t one[] = {131};
    EXPECT_EQ(vb::encode(vb::read_ram_request('X', one)), hex("04 FF 58 30 83 F2"));
    EXPECT_EQ(vb::encode(vb::ram_info_request('X', 14)), hex("04 FF 58 36 0E 61"));
    const std::uint8_t three[] = {4, 5, 13};
    EXPECT_EQ(vb::encode(vb::read_ram_request('X', three)), hex("06 FF 58 30 04 05 0D 5D"));
    const std::uint8_t snap[] = {15, 16, 4, 5, 13};
    EXPECT_EQ(vb::encode(vb::snapshot_request(snap)), hex("08 FF 46 06 0F 10 04 05 0D 78"));
    EXPECT_EQ(vb::encode(vb::info_request(5)), hex("03 FF 46 05 B3"));
    EXPECT_EQ(vb::encode(vb::frame{vb::frame_type::mk2, 'H', {}, {}}), hex("02 FF 48 B7"));
    EXPECT_EQ(vb::encode(vb::device_state_request('W')), hex("05 FF 57 0E 00 00 97"));
    EXPECT_EQ(vb::encode(vb::frame{vb::frame_type::mk2, 'R', {}, {}}), hex("02 FF 52 AD"));
    EXPECT_EQ(vb::encode(vb::mode2_init_request()), hex("0A FF 53 03 00 80 01 90 00 00 00 90"));
    EXPECT_EQ(vb::encode(vb::state_request(4, std::nullopt)), hex("07 FF 53 04 00 80 01 80 A2"));
    EXPECT_EQ(vb::values_of(winmon("05 FF 58 85 54 00 CB")), std::vector<std::uint16_t>{0x0054});
    const auto s = scale_of("08 FF 58 8E FF FF 8F 00 00 86");
    EXPECT_DOUBLE_EQ(s.decode(0xFE89), -375);
    EXPECT_EQ(winmon("04 FF 58 80 00 25").code, vb::winmon::not_supported);
    const auto v = vb::values_of(winmon("0D FF 58 99 15 FE 0C 00 12 13 94 FF 91 00 9B"));
    EXPECT_EQ(static_cast<std::int16_t>(v[0]), -491);
    EXPECT_EQ(v[2], 4882);
    EXPECT_EQ(static_cast<std::int16_t>(v[3]), -108);
    EXPECT_EQ(v[4], 145);
}

TEST(mk3_frame, led_appended_frames) {
    vb::frame f{vb::frame_type::mk2, 'X', {0x87}, std::array<std::uint8_t, 2>{0x01, 0x08}};
    const auto b = vb::encode(f);
    EXPECT_EQ(b[0], 0x80 | 5);
    vb::frame back;
    ASSERT_EQ(vb::decode(b, back), vb::decode_error::none);
    EXPECT_EQ(back, f);
}

TEST(mk3_frame, bad_frames) {
    vb::frame f;
    EXPECT_EQ(vb::decode(hex("02 FF 56 AA"), f), vb::decode_error::bad_checksum);
    EXPECT_EQ(vb::decode(hex("02 77 56 32"), f), vb::decode_error::bad_type);
    EXPECT_EQ(vb::decode(hex("15 FF 56 00"), f), vb::decode_error::bad_length);
    EXPECT_EQ(vb::decode(hex("02 FF"), f), vb::decode_error::bad_length);
    EXPECT_EQ(vb::decode(hex("00 FF 56"), f), vb::decode_error::bad_length);
}

TEST(mk3_parser, resynchronises_after_garbage_and_bad_checksums) {
    vb::frame_parser p;
    auto in = hex("13 37 FF 00 02 FF 56 AA");             // garbage, then a corrupted 'V'
    const auto good = hex("07 FF 56 24 DB 11 00 42 52");  // then a good version frame
    in.insert(in.end(), good.begin(), good.end());
    p.feed(in);
    const auto f = p.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(vb::parse_version(*f)->version, 1170212u);
    EXPECT_FALSE(p.next());
    EXPECT_GE(p.checksum_errors(), 1u);
    EXPECT_GE(p.dropped_bytes(), 8u);
}

TEST(mk3_parser, frames_split_across_reads_and_back_to_back) {
    vb::frame_parser p;
    const auto a = hex("03 FF 58 87 1F 05 3F 07 00 00 00 C2 08 FF 4C 01 0C 00 00 80 00 20");
    for (std::size_t i = 0; i < a.size(); ++i) p.feed(std::span(&a[i], 1));
    std::vector<vb::frame> got;
    while (auto f = p.next()) got.push_back(*f);
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].command, 'X');
    EXPECT_EQ(got[1].type, vb::frame_type::vebus_3f);
    EXPECT_EQ(got[2].command, 'L');
    EXPECT_EQ(p.dropped_bytes(), 0u);
}

TEST(mk3_parser, partial_frame_is_kept_until_discarded) {
    vb::frame_parser p;
    p.feed(hex("07 FF 56 24"));
    EXPECT_FALSE(p.next());
    EXPECT_TRUE(p.has_partial());
    p.discard_partial();
    p.feed(hex("02 FF 56 A9"));
    EXPECT_TRUE(p.next());
}

}  // namespace

namespace {

TEST(mk3_messages, read_setting_and_its_replies) {
    // ReadSetting (0x31) <id lo> <id hi> -> 0x86 <u16>, or 0x91 when the setting is not there.
    const std::uint8_t id[] = {0x02, 0x00};  // UBatAbsorption
    const auto q = vb::winmon_request('X', vb::winmon::read_setting, id);
    EXPECT_EQ(vb::encode(q), hex("05 FF 58 31 02 00 71"));
    vb::frame ok{vb::frame_type::mk2, 'X', {vb::winmon::setting_ok, 0x60, 0x16}, {}};
    const auto r = vb::parse_winmon(ok).value();
    EXPECT_EQ(r.code, vb::winmon::setting_ok);
    EXPECT_EQ(vb::values_of(r), std::vector<std::uint16_t>{0x1660});
    vb::frame missing{vb::frame_type::mk2, 'X', {vb::winmon::setting_not_supported}, {}};
    const auto b = vb::encode(missing);
    vb::frame back;
    ASSERT_EQ(vb::decode(b, back), vb::decode_error::none);
    EXPECT_EQ(vb::parse_winmon(back)->code, vb::winmon::setting_not_supported);
    // 0x90: RAM variable not supported, from the simulator for an id it does not have.
    vb::multi_sim sim;
    const auto w = sim.handle(vb::write_ram_request('X', 99, 1), vb::multi_sim::clock::now());
    EXPECT_EQ(vb::parse_winmon(w.at(0))->code, vb::winmon::var_not_supported);
}

}  // namespace

// protocols/vebus-multi-unit.md: the computed frames of sections 1-5 (checksums checked there).
TEST(mk3_multi_unit, address_and_config_frames) {  // sections 1.1, 1.3
    EXPECT_EQ(vb::encode(vb::address_request(0)), hex("04 FF 41 01 00 BB"));
    EXPECT_EQ(vb::encode(vb::address_request(1)), hex("04 FF 41 01 01 BA"));
    EXPECT_EQ(vb::encode(vb::address_request(2)), hex("04 FF 41 01 02 B9"));
    EXPECT_EQ(vb::encode(vb::address_request(3)), hex("04 FF 41 01 03 B8"));
    EXPECT_EQ(vb::encode(vb::address_request(5)), hex("04 FF 41 01 05 B6"));
    EXPECT_EQ(vb::encode(vb::config_request(0)), hex("04 FF 46 07 00 B0"));
    EXPECT_EQ(vb::encode(vb::config_request(1)), hex("04 FF 46 07 01 AF"));
    EXPECT_EQ(vb::encode(vb::config_request(2)), hex("04 FF 46 07 02 AE"));
    // The master of a 3 x 1 and of a 3 x 2 system (section 7.2).
    auto c = vb::parse_config_info(decoded("0F 20 88 33 1F 7A 20 00 00 07 00 00 00 00 00 00 56"));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->unique, 0x7A1F3388u);
    EXPECT_EQ(c->type, 0x20);
    EXPECT_EQ(c->short_ids, 0x07u);
    EXPECT_EQ(c->addr, 0);
    c = vb::parse_config_info(decoded("0F 20 88 33 1F 7A 20 00 00 3F 00 00 00 00 00 00 1E"));
    ASSERT_TRUE(c);
    EXPECT_EQ(c->short_ids, 0x3Fu);
    EXPECT_FALSE(vb::parse_config_info(decoded("02 FF 4C B3"))) << "not an info frame";
}

TEST(mk3_multi_unit, phase_frames) {  // section 2
    EXPECT_EQ(vb::encode(vb::info_request(1)), hex("03 FF 46 01 B7"));
    EXPECT_EQ(vb::encode(vb::info_request(2)), hex("03 FF 46 02 B6"));
    EXPECT_EQ(vb::encode(vb::info_request(3)), hex("03 FF 46 03 B5"));
    struct row {
        const char* frame;
        int factor, phase_info, phases;
        double volts, amps;  // raw x 0.01, the phase total after the back-feed factor
    };
    for (const auto& r :
         {row{"0F 20 01 01 00 09 09 9C 2D 88 0B 9C 2D 00 00 A3 F5", 1, 0x09, 2, 116.76, 29.52},
          row{"0F 20 01 01 00 09 07 AC 2D 74 0B AC 2D 00 00 A3 EB", 1, 0x07, 1, 116.92, 29.32},
          row{"0F 20 02 02 00 09 0A D8 59 74 FD D8 59 14 00 C3 10", 2, 0x0A, 3, 230.00, -13.04},
          row{"0F 20 02 02 00 09 07 E2 59 74 FD E2 59 14 00 C3 FF", 2, 0x07, 1, 230.10, -13.04},
          row{"0F 20 02 02 00 09 06 CE 59 74 FD CE 59 14 00 C3 28", 2, 0x06, 1, 229.90, -13.04},
          row{"0F 20 02 02 00 09 08 D8 59 74 FD D8 59 14 00 C3 12", 2, 0x08, 1, 230.00, -13.04}}) {
        SCOPED_TRACE(r.frame);
        const auto a = vb::parse_ac_info(decoded(r.frame)).value();
        EXPECT_EQ(a.bf_factor, r.factor);
        EXPECT_EQ(a.inverter_factor, r.factor);
        EXPECT_EQ(a.phase_info, r.phase_info);
        EXPECT_EQ(a.phases(), r.phases);  // L2/L3 frames (0x07/0x06) do not say the count
        EXPECT_NEAR(k001.decode(a.mains_v), r.volts, 1e-9);
        // The multi_state decodes the phase total: raw current x back-feed factor.
        vb::multi_state s;
        s.set_scales({{vb::ram::umains, k001}, {vb::ram::imains, k001s}, {vb::ram::uinv, k001}});
        s.apply_phase(a);
        EXPECT_NEAR(vx::core::as_double(s.point("ac_in_i")).value(), r.amps, 1e-9);
    }
}

TEST(mk3_multi_unit, ess_writes_and_the_poll_cycle) {  // sections 4.2, 5
    // Velib style (flags 0x00, the letter rotating X/Y/Z): the notes' frames exactly.
    EXPECT_EQ(vb::encode(vb::write_ram_request('Y', 0x83, 1500, false)),
              hex("07 FF 59 37 00 83 DC 05 06"));
    EXPECT_EQ(vb::encode(vb::write_ram_request('X', 0x83, 0, false)),
              hex("07 FF 58 37 00 83 00 00 E8"));
    EXPECT_EQ(vb::encode(vb::write_ram_request('Z', 0x83, -1000, false)),
              hex("07 FF 5A 37 00 83 18 FC D2"));
    EXPECT_EQ(winmon("03 FF 59 87 1E").code, vb::winmon::write_ram_ok);
    EXPECT_EQ(winmon("03 FF 58 87 1F").letter, 'X');
    const std::uint8_t ids[] = {14, 15, 16};
    EXPECT_EQ(vb::encode(vb::snapshot_request(ids)), hex("06 FF 46 06 0E 0F 10 82"));
    EXPECT_EQ(vb::encode(vb::read_snapshot_request('X')), hex("03 FF 58 38 6E"));
    EXPECT_EQ(vb::encode(vb::read_snapshot_request('Y')), hex("03 FF 59 38 6D"));
    EXPECT_EQ(vb::encode(vb::read_snapshot_request('Z')), hex("03 FF 5A 38 6C"));
    EXPECT_EQ(vb::encode(vb::info_request(0)), hex("03 FF 46 00 B8"));
    EXPECT_EQ(vb::encode(vb::led_request()), hex("02 FF 4C B3"));
    const auto v = vb::values_of(winmon("09 FF 58 99 1A FA DC 05 0A 00 08"));
    ASSERT_EQ(v.size(), 3u);
    EXPECT_EQ(static_cast<std::int16_t>(v[0]), -1510);
    EXPECT_EQ(v[1], 1500);
    EXPECT_EQ(v[2], 10);
}

// The simulator's multi-unit answers (section 7.2): config frames as the notes compute them,
// phase frames with velib's phase bytes and the units as factors, per-unit winmon replies.
TEST(mk3_multi_unit, the_simulator_answers_per_unit) {
    const auto t = vb::multi_sim::clock::now();
    vb::multi_sim_options o;
    o.phases = 3;
    vb::multi_sim three(o);
    auto one = [&](vb::multi_sim& s, const vb::frame& req) {
        const auto r = s.handle(req, t);
        return r.empty() ? std::vector<std::uint8_t>{} : vb::encode(r.front());
    };
    EXPECT_EQ(one(three, vb::config_request(0)),
              hex("0F 20 88 33 1F 7A 20 00 00 07 00 00 00 00 00 00 56"));
    o.units_per_phase = 2;
    vb::multi_sim six(o);
    EXPECT_EQ(one(six, vb::config_request(0)),
              hex("0F 20 88 33 1F 7A 20 00 00 3F 00 00 00 00 00 00 1E"));
    EXPECT_TRUE(one(six, vb::config_request(6)).empty()) << "no unit 6";
    for (int n = 1; n <= 3; ++n) {
        const auto a = vb::parse_ac_info(six.handle(vb::info_request(n), t).at(0)).value();
        EXPECT_EQ(a.phase_info, n == 1 ? 0x0A : 9 - n);
        EXPECT_EQ(a.bf_factor, 2);
        EXPECT_EQ(a.inverter_factor, 2);
    }
    EXPECT_TRUE(six.handle(vb::info_request(4), t).empty()) << "beyond the phase count: silence";
    // Winmon frames go to the selected unit; 'F' does not follow 'A'.
    const std::uint8_t ubat[] = {vb::ram::umains};
    const auto umains = [&] {
        return vb::values_of(
                   *vb::parse_winmon(six.handle(vb::read_ram_request('X', ubat), t).at(0)))
            .at(0);
    };
    const auto l1 = umains();
    EXPECT_EQ(one(six, vb::address_request(4)), hex("04 FF 41 01 04 B7"));
    EXPECT_EQ(umains(), 23012) << "unit 4: L2, second unit (230.1 V + 0.02 V)";
    EXPECT_EQ(l1, 23000);
    EXPECT_EQ(vb::parse_ac_info(six.handle(vb::info_request(1), t).at(0))->mains_v, 23000);
    // Switched off: silent, and the bus says which kind of unit is missing.
    six.set_unit_present(4, false);
    EXPECT_TRUE(six.handle(vb::read_ram_request('X', ubat), t).empty());
    EXPECT_EQ(six.vebus_error(), 3) << "a slave missing";
    six.set_unit_present(1, false);
    EXPECT_EQ(six.vebus_error(), 17) << "a phase master missing";
    EXPECT_TRUE(six.handle(vb::info_request(2), t).empty()) << "its phase frame goes silent";
    EXPECT_FALSE(six.handle(vb::info_request(3), t).empty());
}
