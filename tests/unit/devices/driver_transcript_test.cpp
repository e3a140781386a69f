// Driver tier: each driver on an injected link, answered by the device model or a golden
// transcript of ../shared/protocols, asserting the exact bytes the driver writes - start-up,
// an ESS setpoint write and its refresh and fall-back (VE.Bus), parameter writes in RAM and
// flash and a refused write (Xcom).
#include <gtest/gtest.h>

#include <algorithm>

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
    std::shared_ptr<vb::multi_sim> sim = std::make_shared<vb::multi_sim>();
    std::shared_ptr<vx::test::scripted_link> link =
        std::make_shared<vx::test::scripted_link>(io.get_executor(), multi(sim));
    std::shared_ptr<vx::devices::vebus::vebus_device> dev;

    explicit vebus_rig(vx::devices::vebus::vebus_options o = {}) {
        o.poll_interval = 100ms;
        dev =
            std::make_shared<vx::devices::vebus::vebus_device>("multi", io.get_executor(), o, link);
        dev->start();
        EXPECT_TRUE(vx::test::run_until(io, [&] { return dev->online(); }));
    }
    ~vebus_rig() {
        dev->stop();
        io.restart();
        io.poll();
    }
    std::optional<vx::core::outcome> write(double watts) {
        std::optional<vx::core::outcome> result;
        dev->write(
            ess_point(), watts, [&](vx::core::write_result r) { result = r.status; },
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
