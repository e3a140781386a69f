// Driver tier: each driver on an injected link, answered by the device model or a golden
// transcript of ../shared/protocols, asserting the exact bytes the driver writes - start-up,
// an ESS setpoint write and its refresh and fall-back (VE.Bus), parameter writes in RAM and
// flash and a refused write (Xcom).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "../../support/hex.hpp"
#include "../../support/scripted_link.hpp"
#include "vxbridge/app/logging.hpp"
#include "vxbridge/devices/vebus/multi_sim.hpp"
#include "vxbridge/devices/vebus/vebus_device.hpp"
#include "vxbridge/devices/xcom/xcom_device.hpp"

namespace vb = vx::devices::vebus;
using bytes = std::vector<std::uint8_t>;
using vx::test::hex;
using namespace std::chrono_literals;

namespace {

// The drivers log through the bridge's loggers (warnings only here).
const bool kLogging = (vx::app::init_logging("error"), true);

// The simulated MK3 + Multi answers every frame of a message.
vx::test::scripted_link::responder multi(std::shared_ptr<vb::multi_sim> sim) {
    return [sim](const bytes& m) {
        vb::frame_parser p;
        p.feed(m);
        bytes out;
        while (auto f = p.next())
            for (const auto& r : sim->handle(*f, std::chrono::steady_clock::now())) {
                const auto e = vb::encode(r);
                out.insert(out.end(), e.begin(), e.end());
            }
        return out;
    };
}

bool sent(const vx::test::scripted_link& l, const bytes& frame) {
    return std::find(l.sent.begin(), l.sent.end(), frame) != l.sent.end();
}

vx::core::point_spec ess_point() {
    vx::core::point_spec p;
    p.ref = {"vebus", "ess_setpoint", {}};
    p.binding = "227/ess_setpoint";
    p.writable = true;
    return p;
}

struct vebus_rig {
    boost::asio::io_context io;
    std::shared_ptr<vb::multi_sim> sim;
    std::shared_ptr<vx::test::scripted_link> link;
    std::shared_ptr<vx::devices::vebus::vebus_device> dev;
    std::map<std::string, vx::core::value> seen;  // the last value of every subscribed point

    explicit vebus_rig(vx::devices::vebus::vebus_options o = {}, vb::multi_sim_options m = {},
                       std::vector<std::string> points = {})
        : sim(std::make_shared<vb::multi_sim>(m)),
          link(std::make_shared<vx::test::scripted_link>(io.get_executor(), multi(sim))) {
        o.poll_interval = 100ms;
        dev =
            std::make_shared<vx::devices::vebus::vebus_device>("multi", io.get_executor(), o, link);
        for (const auto& n : points) {
            vx::core::point_spec p;
            p.ref = {"vebus", n, {}};
            p.binding = "227/" + n;
            dev->subscribe(p, [this, n](const vx::core::value& v, auto) { seen[n] = v; });
        }
        dev->start();
        EXPECT_TRUE(vx::test::run_until(
            io, [&] { return dev->online(); }, 20s));
    }
    double number(const std::string& n) { return vx::core::as_double(seen[n]).value_or(-99999); }
    // Runs until `point` has a value (true) or has none (false), or `limit` passes.
    bool until_valued(const std::string& point, bool valued, std::chrono::milliseconds limit) {
        return vx::test::run_until(
            io, [&] { return vx::core::has_value(seen[point]) == valued; }, limit);
    }
    ~vebus_rig() {
        dev->stop();
        io.restart();
        io.poll();
    }
    std::optional<vx::core::outcome> write(double watts, const char* point = "ess_setpoint") {
        std::optional<vx::core::outcome> result;
        auto p = ess_point();
        p.ref.key = point;
        dev->write(
            p, watts, [&](vx::core::write_result r) { result = r.status; },
            std::chrono::steady_clock::now() + 5s);
        vx::test::run_until(io, [&] { return result.has_value(); });
        return result;
    }
};

TEST(vebus_driver, start_up_sends_the_documented_frames_in_order) {
    vebus_rig rig;
    const auto& s = rig.link->sent;
    ASSERT_GE(s.size(), 4u);
    EXPECT_EQ(s[0], hex("02 FF 56 A9"));        // 'V' version
    EXPECT_EQ(s[1], hex("04 FF 41 01 00 BB"));  // 'A' address 0 (invertergui transcript)
    // RAM-variable infos with the 'X' letter, then the ESS assistant found at RAM 130/131.
    EXPECT_TRUE(sent(*rig.link, hex("04 FF 58 36 0E 61")));  // RAM info 14 (protocol notes 1.13)
    EXPECT_TRUE(sent(*rig.link, hex("04 FF 58 30 83 F2")));  // read RAM 131, the ESS setpoint
}

TEST(vebus_driver, an_ess_write_is_the_documented_frame_then_refreshed_then_dropped) {
    vx::devices::vebus::vebus_options o;
    o.ess.refresh = 300ms;
    o.ess.setpoint_timeout = 1500ms;
    vebus_rig rig(o);
    const auto before = rig.link->sent.size();
    // GX +370 W = charge 370 W = RAM -370, flags 0x02 (RAM, no EEPROM): protocol notes 1.13.
    const auto charge = hex("07 FF 58 37 02 83 8E FE 5A");
    ASSERT_EQ(rig.write(370), vx::core::outcome::ok);
    ASSERT_GT(rig.link->sent.size(), before);
    EXPECT_EQ(rig.sim->ess_setpoint_ram(), -370);
    EXPECT_TRUE(std::find(rig.link->sent.begin() + static_cast<std::ptrdiff_t>(before),
                          rig.link->sent.end(), charge) != rig.link->sent.end());
    // Refreshed before the Multi drops it ...
    const auto count = [&] {
        return std::count(rig.link->sent.begin(), rig.link->sent.end(), charge);
    };
    EXPECT_TRUE(vx::test::run_until(
        rig.io, [&] { return count() >= 3; }, 3s));
    // ... and, without client writes, set back to 0 W once: `07 FF 58 37 02 83 00 00 E6`.
    EXPECT_TRUE(vx::test::run_until(
        rig.io, [&] { return sent(*rig.link, hex("07 FF 58 37 02 83 00 00 E6")); }, 5s));
    EXPECT_EQ(rig.sim->ess_setpoint_ram(), 0);
    const auto after_fall_back = count();
    vx::test::run_until(
        rig.io, [] { return false; }, 700ms);  // two refresh periods
    EXPECT_EQ(count(), after_fall_back);       // no refresh of the old value
}

TEST(vebus_driver, a_write_past_its_deadline_is_never_sent) {
    vebus_rig rig;
    const auto before = rig.link->sent.size();
    std::optional<vx::core::outcome> result;
    rig.dev->write(
        ess_point(), 1000.0, [&](vx::core::write_result r) { result = r.status; },
        std::chrono::steady_clock::now() - 1ms);
    ASSERT_TRUE(vx::test::run_until(rig.io, [&] { return result.has_value(); }));
    EXPECT_EQ(*result, vx::core::outcome::timeout);
    for (auto it = rig.link->sent.begin() + static_cast<std::ptrdiff_t>(before);
         it != rig.link->sent.end(); ++it)
        EXPECT_FALSE(it->size() > 3 && (*it)[2] == 0x58 && (*it)[3] == 0x37)
            << "a WriteViaID went out";
    EXPECT_EQ(rig.sim->ess_setpoint_ram(), 0);
}

// Multi-unit systems (protocols/vebus-multi-unit.md): discovery of every topology the
// simulator offers, with and without config frames, and with the stride-3 addresses of a
// single-phase parallel system.
TEST(vebus_multi_unit, discovers_every_topology) {
    using mo = vb::multi_sim_options;
    struct topo {
        int phases, units;
        mo::scheme scheme = mo::scheme::contiguous;
        bool config_frames = true;
    };
    for (const auto t : {topo{1, 1}, topo{1, 2}, topo{1, 3}, topo{2, 1}, topo{3, 1}, topo{3, 2},
                         topo{1, 3, mo::scheme::stride3}, topo{3, 2, mo::scheme::contiguous, false},
                         topo{1, 2, mo::scheme::stride3, false}}) {
        SCOPED_TRACE(std::to_string(t.phases) + "x" + std::to_string(t.units) +
                     (t.config_frames ? "" : ", no config frames"));
        mo m;
        m.phases = t.phases;
        m.units_per_phase = t.units;
        m.address_scheme = t.scheme;
        m.config_needs_s = !t.config_frames;
        vx::devices::vebus::vebus_options o;
        o.timeout = 40ms;
        vebus_rig rig(o, m, {"units", "phases", "ac_in_p", "ac_in_p_l2", "ac_in_v_l3"});
        ASSERT_TRUE(rig.until_valued("ac_in_p", true, 3s));
        EXPECT_EQ(rig.number("units"), t.phases * t.units);
        EXPECT_EQ(rig.number("phases"), t.phases);
        EXPECT_EQ(vx::core::has_value(rig.seen["ac_in_p_l2"]), t.phases >= 2);
        EXPECT_EQ(vx::core::has_value(rig.seen["ac_in_v_l3"]), t.phases == 3);
        // Every unit's snapshot is read: 'A' for each other unit, never an address without one.
        for (const auto& u : rig.sim->units())
            if (u.addr != 0)
                EXPECT_TRUE(sent(*rig.link, vb::encode(vb::address_request(u.addr))))
                    << "unit " << int(u.addr);
        const auto stray = vb::encode(vb::address_request(t.scheme == mo::scheme::stride3 ? 1 : 9));
        if (t.config_frames)
            EXPECT_FALSE(sent(*rig.link, stray)) << "no probing with config frames";
    }
}

// "Register 40 = -3000 on 3 x 2" (multi-unit notes 4.2, method A): +1500 W feed-in per unit to
// the L2 master, address 1 selected first; the same pair again at every refresh, nothing to the
// other phases; read back as the phase total.
TEST(vebus_multi_unit, a_phase_setpoint_goes_divided_to_its_phase_master) {
    vb::multi_sim_options m;
    m.phases = 3;
    m.units_per_phase = 2;
    vx::devices::vebus::vebus_options o;
    o.ess.refresh = 300ms;
    vebus_rig rig(o, m, {"ess_setpoint_l2", "ac_in_p_l2"});
    const auto select_l2 = hex("04 FF 41 01 01 BA");
    // Our driver's letter and flags (X, 0x02 = RAM only) for the notes' Y 37 00 83 DC 05.
    const auto feed_1500 = hex("07 FF 58 37 02 83 DC 05 05");
    ASSERT_EQ(vb::encode(vb::write_ram_request('X', 0x83, 1500)), feed_1500);
    const auto before = rig.link->sent.size();
    ASSERT_EQ(rig.write(-3000, "ess_setpoint_l2"), vx::core::outcome::ok);
    EXPECT_EQ(rig.sim->phase_setpoint_ram(1), 1500) << "per unit, Multi sign (+ = feed-in)";
    EXPECT_EQ(rig.sim->phase_setpoint_ram(0), 0);
    EXPECT_EQ(rig.sim->phase_setpoint_ram(2), 0);
    ASSERT_TRUE(vx::test::run_until(
        rig.io,
        [&] { return std::count(rig.link->sent.begin(), rig.link->sent.end(), feed_1500) >= 4; },
        5s));
    // Each write of the setpoint follows the selection of the L2 master.
    for (auto it = rig.link->sent.begin() + static_cast<std::ptrdiff_t>(before);
         it != rig.link->sent.end(); ++it) {
        if (*it != feed_1500) continue;
        auto back = it;
        while (back != rig.link->sent.begin() && (*back)[2] != 0x41) --back;  // the last 'A'
        EXPECT_EQ(*back, select_l2);
        EXPECT_TRUE(it == rig.link->sent.begin() + 1 + (back - rig.link->sent.begin()) ||
                    (*(it - 1))[2] != 0x41)
            << "the write follows its 'A'";
    }
    rig.until_valued("ess_setpoint_l2", true, 1s);
    EXPECT_EQ(rig.number("ess_setpoint_l2"), -3000) << "read back as the phase total";
    EXPECT_TRUE(vx::test::run_until(
        rig.io, [&] { return rig.number("ac_in_p_l2") < -2000; }, 10s))
        << "L2 feeds in: " << rig.number("ac_in_p_l2");
}

// A phase master switched off: its phase reads unavailable, the others keep being served, the
// bus reports error 17 and the driver rediscovers; all comes back when the unit returns.
TEST(vebus_multi_unit, a_silent_phase_master_takes_only_its_phase_away) {
    vb::multi_sim_options m;
    m.phases = 3;
    vx::devices::vebus::vebus_options o;
    o.timeout = 40ms;
    o.slow_every = 2;
    vebus_rig rig(o, m, {"ac_in_v_l2", "ac_in_p_l2", "ac_in_v_l3", "ac_in_p", "vebus_error"});
    ASSERT_TRUE(rig.until_valued("ac_in_v_l2", true, 3s));
    rig.sim->set_unit_present(1, false);
    EXPECT_TRUE(rig.until_valued("ac_in_v_l2", false, 5s));
    EXPECT_TRUE(rig.until_valued("ac_in_p_l2", false, 5s));
    EXPECT_TRUE(vx::test::run_until(
        rig.io, [&] { return rig.number("vebus_error") == 17; }, 5s));
    rig.seen.erase("ac_in_v_l3");
    rig.seen.erase("ac_in_p");
    EXPECT_TRUE(rig.until_valued("ac_in_v_l3", true, 5s)) << "L3 still served";
    EXPECT_TRUE(rig.until_valued("ac_in_p", true, 5s)) << "L1 still served";
    EXPECT_NEAR(rig.number("ac_in_v_l3"), 229.9, 0.05);
    rig.sim->set_unit_present(1, true);
    EXPECT_TRUE(rig.until_valued("ac_in_v_l2", true, 10s)) << "back when the unit returns";
    EXPECT_TRUE(rig.until_valued("ac_in_p_l2", true, 10s));
    EXPECT_NEAR(rig.number("ac_in_v_l2"), 230.1, 0.05);
}

// Register 105 (/RedetectSystem): discovery runs again - and finds a topology that changed.
TEST(vebus_multi_unit, register_105_redetects_the_system) {
    vb::multi_sim_options m;
    m.phases = 3;
    vx::devices::vebus::vebus_options o;
    o.timeout = 40ms;
    vebus_rig rig(o, m, {"units"});
    const auto config = vb::encode(vb::config_request(0));
    const auto asked = [&] {
        return std::count(rig.link->sent.begin(), rig.link->sent.end(), config);
    };
    const auto before = asked();
    ASSERT_EQ(rig.write(1, "redetect"), vx::core::outcome::ok);
    EXPECT_TRUE(vx::test::run_until(
        rig.io, [&] { return asked() > before; }, 5s));
    EXPECT_TRUE(vx::test::run_until(
        rig.io, [&] { return rig.dev->online() && rig.number("units") == 3; }, 5s));
}

// Xcom: golden request/response pairs (protocol notes 4.1, 4.3); anything else is not answered.
struct golden {
    const char* request;
    const char* response;
};

TEST(xcom_driver, parameter_writes_are_the_documented_frames_with_the_devices_answers) {
    const std::vector<golden> script = {
        // B1/B2: 1107 = 30.0 A in RAM (unsaved value, property 0x0D) -> OK.
        {"AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 53 04 00 00 0D 00 00 00 F0 41 98 "
         "F5",
         "AA 00 65 00 00 00 01 00 00 00 0A 00 6F 01 02 02 02 00 53 04 00 00 0D 00 69 4C"},
        // C1/C2: 1107 = 100.0 A in flash (value_qsp, 0x05) -> DATA_TOO_BIG.
        {"AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 53 04 00 00 05 00 00 00 C8 42 69 "
         "76",
         "AA 00 65 00 00 00 01 00 00 00 0C 00 71 05 03 02 02 00 53 04 00 00 05 00 28 00 8A 5A"},
    };
    boost::asio::io_context io;
    auto link = std::make_shared<vx::test::scripted_link>(io.get_executor(), [&](const bytes& m) {
        for (const auto& g : script)
            if (m == hex(g.request)) return hex(g.response);
        return bytes{};
    });
    vx::devices::xcom::xcom_options o;
    o.timeout = 200ms;
    o.retries = 0;
    auto dev =
        std::make_shared<vx::devices::xcom::xcom_device>("studer", io.get_executor(), o, link);
    dev->start();
    auto write = [&](double amps, bool persist) {
        vx::core::point_spec p;
        p.ref = {"param", "1107", {}};
        p.binding = persist ? "11/flash" : "11/ram";
        p.device_address = 101;
        p.writable = true;
        p.persist = persist;
        std::optional<vx::core::outcome> r;
        dev->write(
            p, amps, [&](vx::core::write_result w) { r = w.status; },
            std::chrono::steady_clock::now() + 5s);
        vx::test::run_until(io, [&] { return r.has_value(); });
        return r;
    };
    EXPECT_EQ(write(30.0, false), vx::core::outcome::ok);
    EXPECT_TRUE(sent(*link, hex(script[0].request)));
    EXPECT_EQ(write(100.0, true), vx::core::outcome::invalid);  // the device's DATA_TOO_BIG
    EXPECT_TRUE(sent(*link, hex(script[1].request)));
    dev->stop();
    io.restart();
    io.poll();
}

}  // namespace
