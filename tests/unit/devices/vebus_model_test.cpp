// The VE.Bus model on captured and simulated traffic: the invertergui start-up transcript
// (12 V unit, MK2 1130134) replayed request by request; the ESS assistant scan; the GX /State
// mapping; the simulated Multi's plant and ESS timeout.
#include <gtest/gtest.h>

#include "../../support/hex.hpp"

#include "vxbridge/devices/vebus/multi_sim.hpp"
#include "vxbridge/devices/vebus/multi_state.hpp"
#include "vxbridge/devices/vebus/vebus_system.hpp"

namespace vb = vx::devices::vebus;
using bytes = std::vector<std::uint8_t>;

namespace {

using vx::test::hex;

std::vector<vb::frame> frames(const std::string& s) {
    vb::frame_parser p;
    p.feed(hex(s));
    std::vector<vb::frame> out;
    while (auto f = p.next()) out.push_back(*f);
    EXPECT_EQ(p.dropped_bytes(), 0u);
    return out;
}

double num(const vb::multi_state& s, const char* name) {
    const auto v = vx::core::as_double(s.point(name));
    EXPECT_TRUE(v) << name;
    return v.value_or(-1e9);
}

// diebietse/invertergui mk2driver/mk2_test.go (knownWrites / knownReadBuffer): what the
// driver wrote, and the byte stream the MK2 sent back, unsolicited version frames included.
const char* kWrites =
    "04 ff 41 01 00 bb "
    "05 ff 57 36 00 00 6f 05 ff 57 36 01 00 6e 05 ff 57 36 02 00 6d 05 ff 57 36 03 00 6c "
    "05 ff 57 36 04 00 6b 05 ff 57 36 05 00 6a 05 ff 57 36 06 00 69 05 ff 57 36 07 00 68 "
    "05 ff 57 36 08 00 67 05 ff 57 36 09 00 66 05 ff 57 36 0a 00 65 05 ff 57 36 0b 00 64 "
    "05 ff 57 36 0c 00 63 05 ff 57 36 0d 00 62 "
    "03 ff 46 00 b8 03 ff 46 01 b7 02 ff 4c b3 05 ff 57 30 0d 00 68";
const char* kReads =
    "04 ff 41 01 00 bb 07 ff 56 96 3e 11 00 00 bf "
    "08 ff 57 8e 9c 7f 8f 00 00 6a 08 ff 57 8e 64 80 8f 00 00 a1 08 ff 57 8e 9c 7f 8f 00 00 6a "
    "08 ff 57 8e 9c 7f 8f 00 00 6a 08 ff 57 8e 9c 7f 8f 00 00 6a 08 ff 57 8e 64 80 8f 00 00 a1 "
    "08 ff 57 8e 9c 7f 8f 00 00 6a 08 ff 57 8e 57 78 8f 00 01 b5 08 ff 57 8e 2f 7c 8f 00 00 da "
    "08 ff 57 8e 64 80 8f 00 00 a1 08 ff 57 8e 04 00 8f 00 80 01 08 ff 57 8e 01 00 8f 00 80 04 "
    "08 ff 57 8e 02 00 8f 00 80 03 08 ff 57 8e 38 7f 8f 00 00 ce "
    "07 ff 56 96 3e 11 00 00 bf "
    "0f 20 f3 00 c8 02 0c a1 05 00 00 00 28 00 00 88 b2 "
    "0f 20 01 01 ca 09 08 aa 58 ab 00 aa 58 9a 00 c3 e8 "
    "06 ff 4c 03 00 00 00 ac 05 ff 57 85 c8 00 58";

// Pairs each request with the first later frame that answers it; the rest is unsolicited.
void replay(vb::multi_state& s, const std::string& writes, const std::string& reads) {
    const auto req = frames(writes);
    const auto rep = frames(reads);
    std::size_t j = 0;
    for (const auto& r : req) {
        while (j < rep.size() && !vb::is_reply_to(r, rep[j])) s.unsolicited(rep[j++]);
        ASSERT_LT(j, rep.size()) << "no reply for request " << int(r.command);
        EXPECT_TRUE(s.apply(r, rep[j++]));
    }
}

TEST(vebus_replay, invertergui_startup_transcript) {
    vb::multi_state s;
    replay(s, kWrites, kReads);
    EXPECT_EQ(std::get<std::int64_t>(s.point("mk3_version")), 1130134);
    EXPECT_DOUBLE_EQ(num(s, "bat_v"), 14.41);
    // Charger 0.4 A, inverter 0 A: + 0.4 A in the GX sign (invertergui reports -0.4, the
    // opposite convention).
    EXPECT_DOUBLE_EQ(num(s, "bat_i"), 0.4);
    EXPECT_DOUBLE_EQ(num(s, "ac_in_v"), 226.98);
    EXPECT_DOUBLE_EQ(num(s, "ac_in_i"), 1.71);
    EXPECT_NEAR(num(s, "ac_in_f"), 50.10256410256411, 1e-9);
    EXPECT_DOUBLE_EQ(num(s, "ac_out_v"), 226.98);
    EXPECT_DOUBLE_EQ(num(s, "ac_out_i"), 1.54);
    EXPECT_NEAR(num(s, "ac_out_f"), 50.025510204081634, 1e-9);
    EXPECT_DOUBLE_EQ(num(s, "soc"), 100.0);                      // ChargeState 1.0
    EXPECT_EQ(std::get<std::int64_t>(s.point("led_on")), 0x03);  // mains + absorption
    EXPECT_EQ(std::get<std::int64_t>(s.point("device_state")), 9);
    EXPECT_EQ(std::get<std::int64_t>(s.point("phases")), 1);
}

// The 24/3000 unit of the same project (frames #5, #11, #17, #19 of section 2.1): RAM 1 is
// unsigned there, the AC frame's state byte is 0xB7, the inverter current is negative.
TEST(vebus_replay, multiplus_24_3000_frames) {
    vb::multi_state s;
    const char* scales[] = {"08 FF 57 8E 9C 7F 8F 00 00 6A", "08 FF 57 8E 9C 7F 8F 00 00 6A",
                            "08 FF 57 8E 9C 7F 8F 00 00 6A", "08 FF 57 8E 9C 7F 8F 00 00 6A",
                            "08 FF 57 8E 9C 7F 8F 00 00 6A", "08 FF 57 8E 64 80 8F 00 00 A1",
                            "08 FF 57 8E 57 78 8F 00 01 B5", "08 FF 57 8E 2F 7C 8F 00 00 DA"};
    const std::uint8_t ids[] = {0, 1, 2, 3, 4, 5, 7, 8};
    for (std::size_t i = 0; i < 8; ++i)
        ASSERT_TRUE(s.apply(vb::ram_info_request('W', ids[i]), frames(scales[i]).at(0)));
    s.unsolicited(frames("07 FF 56 98 3E 11 00 00 BD").at(0));
    ASSERT_TRUE(s.apply(vb::info_request(0),
                        frames("0F 20 B6 89 6D B7 0C 4E 0A 00 00 00 00 00 00 88 82").at(0)));
    ASSERT_TRUE(s.apply(vb::info_request(1),
                        frames("0F 20 01 01 6D B7 08 77 5B 21 00 77 5B FE FF C3 1E").at(0)));
    ASSERT_TRUE(s.apply(vb::led_request(), frames("08 FF 4C 09 00 00 00 03 00 A1").at(0)));
    EXPECT_EQ(std::get<std::int64_t>(s.point("mk3_version")), 1130136);
    EXPECT_DOUBLE_EQ(num(s, "bat_v"), 26.38);
    EXPECT_DOUBLE_EQ(num(s, "bat_i"), 0.0);
    EXPECT_DOUBLE_EQ(num(s, "ac_in_v"), 234.15);
    EXPECT_DOUBLE_EQ(num(s, "ac_in_i"), 0.33);
    EXPECT_DOUBLE_EQ(num(s, "ac_out_i"), -0.02);
    EXPECT_NEAR(num(s, "ac_in_f"), 50.10, 0.005);
    EXPECT_NEAR(num(s, "ac_out_f"), 50.03, 0.005);
    EXPECT_FALSE(vx::core::has_value(s.point("device_state")));  // 0xB7 is not a state
    EXPECT_EQ(std::get<std::int64_t>(s.point("led_on")), 0x09);  // mains + float
}

TEST(vebus_model, snapshot_values_follow_the_snapshot_ids) {
    vb::multi_state s;
    s.apply(vb::ram_info_request('X', 14), frames("08 FF 58 8E FF FF 8F 00 00 86").at(0));
    s.apply(vb::ram_info_request('X', 15), frames("08 FF 58 8E FF FF 8F 00 00 86").at(0));
    s.apply(vb::ram_info_request('X', 16), frames("08 FF 58 8E FF FF 8F 00 00 86").at(0));
    const std::uint8_t ids[] = {14, 16, 15};
    s.sent(vb::snapshot_request(ids));
    ASSERT_TRUE(
        s.apply(vb::read_snapshot_request('X'), frames("09 FF 58 99 89 FE 05 00 72 01 08").at(0)));
    EXPECT_DOUBLE_EQ(num(s, "ac_out_p"), 5);
    EXPECT_DOUBLE_EQ(num(s, "ac_in_p"), -370);  // 370 W fed in = -370 W at the input (GX sign)
}

TEST(vebus_model, replies_must_match_their_request) {
    vb::multi_state s;
    EXPECT_FALSE(s.apply(vb::led_request(), frames("07 FF 56 24 DB 11 00 42 52").at(0)));
    EXPECT_FALSE(s.apply(vb::read_ram_request('X', std::vector<std::uint8_t>{4}),
                         frames("05 FF 59 85 54 00 CA").at(0)));  // a 'Y' reply
    EXPECT_FALSE(vb::is_reply_to(
        vb::info_request(0), frames("0F 20 01 01 CA 09 08 AA 58 AB 00 AA 58 9A 00 C3 E8").at(0)));
}

TEST(vebus_scan, finds_ess_after_other_assistants) {
    // RAM 128 = 0x0090, 129 = 0x8800, 130 = 0x0054 (ESS, 4 vars) as scanned on an MP-II.
    auto s = vb::assistant_scan_step(128, 0x0090);
    EXPECT_FALSE(s.done);
    EXPECT_EQ(s.next, 129);
    s = vb::assistant_scan_step(129, 0x8800);
    EXPECT_EQ(s.next, 130);
    s = vb::assistant_scan_step(130, 0x0054);
    EXPECT_TRUE(s.done);
    EXPECT_EQ(*s.ess_id, 131);
}

TEST(vebus_scan, low_nibble_f_skips_fifteen_ids) {
    // The reference driver computes (1 + h) & 0xF here and lands on the wrong id.
    const auto s = vb::assistant_scan_step(128, 0x001F);
    EXPECT_FALSE(s.done);
    EXPECT_EQ(s.next, 128 + 1 + 15);
}

TEST(vebus_scan, empty_record_ends_the_scan) {
    const auto s = vb::assistant_scan_step(140, 0);
    EXPECT_TRUE(s.done);
    EXPECT_FALSE(s.ess_id);
}

TEST(vebus_model, gx_state_mapping) {
    vb::measurements m;
    EXPECT_FALSE(vb::gx_state(m));
    m.device_state = 8;
    EXPECT_EQ(*vb::gx_state(m), 8);  // passthru
    m.device_state = 9;
    m.charge_state = 3;
    EXPECT_EQ(*vb::gx_state(m), 5);  // float
    m.charge_state = 1;
    EXPECT_EQ(*vb::gx_state(m), 3);  // bulk
    m.device_state = 4;
    EXPECT_EQ(*vb::gx_state(m), 9);  // inverting
    m.vebus_error = 17;
    EXPECT_EQ(*vb::gx_state(m), 2);  // fault
}

TEST(multi_sim, ess_setpoint_moves_the_plant_and_expires) {
    vb::multi_sim sim({.ess_timeout = std::chrono::milliseconds(15'000),
                       .capacity_wh = 5000,
                       .load_w = 300,
                       .initial_soc = 50});
    auto t = vb::multi_sim::clock::now();
    sim.tick(t);
    EXPECT_EQ(sim.device_state(), 8);  // passthru without a setpoint
    EXPECT_DOUBLE_EQ(sim.input_power_import(), 300);
    // Venus's capture: Z 37 flags 0, id 131, +370 = feed 370 W.
    const auto reply = sim.handle(vb::write_ram_request('Z', 131, 370, false), t);
    ASSERT_EQ(reply.size(), 1u);
    EXPECT_EQ(vb::parse_winmon(reply[0])->code, vb::winmon::write_ram_ok);
    EXPECT_EQ(sim.ess_setpoint_ram(), 370);
    sim.tick(t + std::chrono::seconds(1));
    EXPECT_NEAR(sim.input_power_import(), 300 - 400, 1e-6) << "ramps at 400 W/s";
    sim.tick(t + std::chrono::seconds(10));
    EXPECT_NEAR(sim.input_power_import(), -370 * 0.96, 1e-6) << "reaches 96 % of the setpoint";
    EXPECT_NEAR(sim.battery_power(), -370 * 0.96 - 300, 1e-6);  // feed-in + load from the battery
    EXPECT_LT(sim.soc(), 50);
    sim.tick(t + std::chrono::seconds(16));  // no refresh for 15 s: the assistant drops it
    EXPECT_EQ(sim.ess_setpoint_ram(), 0);
    EXPECT_EQ(sim.device_state(), 8);
    EXPECT_DOUBLE_EQ(sim.input_power_import(), 300) << "passthru";
}

TEST(multi_sim, the_site_around_the_multi) {
    vb::multi_sim sim({.load_w = 1000, .initial_soc = 50});
    auto t = vb::multi_sim::clock::now();
    sim.tick(t);
    sim.set_pv(1500);
    sim.set_grid_load(200);
    sim.tick(t + std::chrono::seconds(1));
    EXPECT_DOUBLE_EQ(sim.ac_out_power(), -500) << "PV surplus on AC-out";
    EXPECT_DOUBLE_EQ(sim.input_power_import(), -500) << "passthru: the surplus goes to the grid";
    EXPECT_DOUBLE_EQ(sim.grid_power(), -300) << "the meter also sees the grid-side load";
    // A 0 W setpoint holds the AC input at 0: the surplus charges the battery.
    sim.handle(vb::write_ram_request('X', 131, 0, false), t + std::chrono::seconds(1));
    sim.tick(t + std::chrono::seconds(5));
    EXPECT_NEAR(sim.input_power_import(), 0, 1e-6);
    EXPECT_NEAR(sim.battery_power(), 500, 1e-6);
    sim.set_soc(12.5);
    EXPECT_DOUBLE_EQ(sim.soc(), 12.5);
}

TEST(multi_sim, answers_like_the_captures) {
    vb::multi_sim sim;
    const auto t = vb::multi_sim::clock::now();
    auto r = sim.handle(vb::read_ram_request('X', std::vector<std::uint8_t>{128, 129, 130}), t);
    EXPECT_EQ(vb::values_of(*vb::parse_winmon(r.at(0))),
              (std::vector<std::uint16_t>{0x0090, 0x8800, 0x0054}));
    r = sim.handle(vb::ram_info_request('X', 5), t);
    const auto s = vb::parse_ram_info(*vb::parse_winmon(r.at(0)));
    EXPECT_DOUBLE_EQ(s->factor(), 0.1);
    EXPECT_LT(s->scale, 0);
    EXPECT_TRUE(sim.handle(vb::snapshot_request(std::vector<std::uint8_t>{4, 5}), t).empty());
    r = sim.handle(vb::read_snapshot_request('Y'), t);
    EXPECT_EQ(vb::values_of(*vb::parse_winmon(r.at(0))).size(), 2u);
    EXPECT_EQ(r.at(0).command, 'Y');
    EXPECT_TRUE(sim.handle(vb::sleep_frame(), t).empty());
    EXPECT_TRUE(sim.asleep());
    EXPECT_EQ(sim.device_state(), 2);
}

}  // namespace

TEST(multi_sim, the_demo_day_moves_load_and_pv) {
    const auto night = vb::day_profile(2), noon = vb::day_profile(13),
               evening = vb::day_profile(19.5);
    EXPECT_EQ(night.pv_w, 0);
    EXPECT_NEAR(noon.pv_w, 3500, 1);
    EXPECT_GT(evening.load_w, 1800);
    EXPECT_LT(night.load_w, 300);
    EXPECT_EQ(vb::day_profile(26).load_w, night.load_w) << "the day repeats";
}

// GX /Energy paths as flows through the Multi (docs/vebus-multi-unit.md).
TEST(vebus_energy, flows_through_the_multi) {
    auto f = vb::split_flows(1000, 600);  // import: AC-out first, the rest charges
    EXPECT_EQ(f.in_to_out, 600);
    EXPECT_EQ(f.in_to_inverter, 400);
    EXPECT_EQ(f.inverter_to_out + f.inverter_to_in + f.out_to_in + f.out_to_inverter, 0);
    f = vb::split_flows(200, 900);  // the inverter covers the rest of the load
    EXPECT_EQ(f.in_to_out, 200);
    EXPECT_EQ(f.inverter_to_out, 700);
    f = vb::split_flows(-1500, 300);  // feed-in from the battery, the load from the inverter too
    EXPECT_EQ(f.inverter_to_in, 1500);
    EXPECT_EQ(f.inverter_to_out, 300);
    f = vb::split_flows(-500, -800);  // PV on AC-out: exported first, the rest charges
    EXPECT_EQ(f.out_to_in, 500);
    EXPECT_EQ(f.out_to_inverter, 300);
    EXPECT_EQ(f.inverter_to_in, 0);
    f = vb::split_flows(400, -300);  // PV surplus on AC-out and import both charge
    EXPECT_EQ(f.in_to_inverter, 400);
    EXPECT_EQ(f.out_to_inverter, 300);
}

// A 3 x 2 system read frame by frame from the simulator: per-phase sums over both units of each
// phase, battery current over all six, and an hour of energy integrated from them.
TEST(vebus_system, sums_units_per_phase_and_integrates_energy) {
    vb::multi_sim_options o;
    o.phases = 3;
    o.units_per_phase = 2;
    o.load_w = 3000;
    vb::multi_sim sim(o);
    const auto t = vb::multi_sim::clock::now();
    vb::vebus_system sys;
    std::uint8_t selected = 0;
    auto ask = [&](const vb::frame& req) {
        const auto r = sim.handle(req, t);
        if (r.empty()) return sys.sent(req);
        if (req.command == 'A') selected = req.data[1];
        sys.apply(selected, req, r.front());
    };
    std::map<int, vb::ac_info> frames;
    for (int n = 1; n <= 3; ++n)
        frames[n] = *vb::parse_ac_info(sim.handle(vb::info_request(n), t).at(0));
    const auto cfg = vb::parse_config_info(sim.handle(vb::config_request(0), t).at(0));
    sys.set_topology(vb::make_topology(cfg->short_ids, frames, {}, {}));
    EXPECT_EQ(sys.topo().describe(), "3 phases x 2 units: L1 {0,3} L2 {1,4} L3 {2,5}");
    EXPECT_TRUE(sys.topo().warnings.empty());
    const std::uint8_t snap[] = {4, 5, 13, 14, 15, 16};
    for (std::uint8_t a = 0; a < 6; ++a) {
        ask(vb::address_request(a));
        for (auto id : {0, 1, 2, 3, 4, 5, 7, 8, 13, 14, 15, 16})
            ask(vb::ram_info_request('X', static_cast<std::uint8_t>(id)));
    }
    ask(vb::snapshot_request(snap));
    for (std::uint8_t a = 0; a < 6; ++a) {
        ask(vb::address_request(a));
        ask(vb::read_snapshot_request('X'));
    }
    for (int n = 1; n <= 3; ++n) ask(vb::info_request(static_cast<std::uint8_t>(n)));
    const auto num = [&](const char* n) { return vx::core::as_double(sys.point(n)).value_or(-1); };
    EXPECT_NEAR(num("ac_out_p"), 1200, 2) << "40 % of 3 kW, both L1 units summed";
    EXPECT_NEAR(num("ac_out_p_l2"), 990, 2);
    EXPECT_NEAR(num("ac_out_p_l3"), 810, 2);
    EXPECT_NEAR(num("ac_in_p_l3"), 810, 2) << "passthru";
    EXPECT_NEAR(num("ac_in_v_l2"), 230.1, 0.005);
    EXPECT_EQ(num("phases"), 3);
    EXPECT_EQ(num("units"), 6);
    for (int i = 0; i < 3600; ++i) sys.integrate(1.0);  // a poll cycle a second for an hour
    EXPECT_NEAR(num("energy_acin1_to_acout"), 3.0, 0.01) << "an hour of 3 kW through the Multi";
    EXPECT_EQ(num("energy_inverter_to_acin1"), 0);
    sys.integrate(60);  // a gap (the link was down): not integrated
    EXPECT_NEAR(num("energy_acin1_to_acout"), 3.0, 0.01);
    // A unit that stops answering takes its phase's sums away, nothing else.
    sim.set_unit_present(4, false);
    ask(vb::address_request(4));
    const auto req = vb::read_snapshot_request('X');
    EXPECT_TRUE(sim.handle(req, t).empty());
    sys.lost(4, req);
    EXPECT_FALSE(vx::core::has_value(sys.point("ac_out_p_l2")));
    EXPECT_TRUE(vx::core::has_value(sys.point("ac_out_p_l3")));
    EXPECT_FALSE(vx::core::has_value(sys.point("bat_i"))) << "the battery sums every unit";
}

TEST(vebus_system, per_phase_alarms_mirror_or_zero) {
    for (const auto mode : {vb::phase_alarms::mirror, vb::phase_alarms::zero}) {
        vb::vebus_system sys(mode);
        vb::topology t;
        t.phases = 3;
        for (std::uint8_t a = 0; a < 3; ++a) t.units.push_back({a, a, true, {}});
        sys.set_topology(t);
        // 'L' with the overload alarm bit (section 1.10): system-wide.
        sys.apply(0, vb::led_request(), vb::frame{vb::frame_type::mk2, 'L', {0, 0, 0x40, 0}, {}});
        EXPECT_EQ(vx::core::as_double(sys.point("alarm_overload")), 2);
        EXPECT_EQ(vx::core::as_double(sys.point("alarm_overload_l3")),
                  mode == vb::phase_alarms::mirror ? 2 : 0);
    }
}

// msatlow's lower-case form ([U]): silent by default, run on the named unit when switched on.
TEST(multi_sim, lowercase_xyz_with_a_device_byte) {
    const auto t = vb::multi_sim::clock::now();
    vb::multi_sim_options o;
    o.phases = 3;
    const auto x38 = hex("04 FF 78 38 01 4C");  // `x 38 <addr 1>` (multi-unit notes 3)
    vb::frame req;
    ASSERT_EQ(vb::decode(x38, req), vb::decode_error::none);
    EXPECT_TRUE(vb::multi_sim(o).handle(req, t).empty());
    o.lowercase_xyz = true;
    vb::multi_sim sim(o);
    const auto r = sim.handle(req, t);
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].command, 'X');
    EXPECT_EQ(r[0].data.at(0), vb::winmon::snapshot_reply);
}
