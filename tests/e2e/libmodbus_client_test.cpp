// End-to-end: the real `vxbridge run` on a loopback port (and an RTU pty), driven by the
// libmodbus client and by raw sockets for what no well-behaved client sends.
#include <gtest/gtest.h>
#include <modbus.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <thread>

#include "process.hpp"

using namespace std::chrono_literals;
using bytes = std::vector<std::uint8_t>;

namespace {

const std::string kMap = std::string(VXBRIDGE_SOURCE_DIR) + "/maps/examples/static-example.yaml";

std::string site_config(const std::string& modbus_extra = "") {
    return "modbus:\n  listen: 127.0.0.1:0\n  write_timeout: 1\n  frame_timeout: 0.5\n" +
           modbus_extra +
           "devices:\n  mem: {driver: static}\n  slow: {driver: static, latency: 0.4}\n"
           "  gone: {driver: static, offline: true}\n"
           "units:\n  - {unit_id: 1, device: mem, map: " +
           kMap +
           "}\n"
           "  - {unit_id: 2, device: slow, map: " +
           kMap +
           "}\n"
           "  - {unit_id: 3, device: gone, map: " +
           kMap + "}\n";
}

struct client {
    explicit client(int port, int unit = 1) : ctx(modbus_new_tcp("127.0.0.1", port)) {
        modbus_set_slave(ctx, unit);
        modbus_set_response_timeout(ctx, 2, 0);
        connected = modbus_connect(ctx) == 0;
    }
    ~client() {
        modbus_close(ctx);
        modbus_free(ctx);
    }
    modbus_t* ctx;
    bool connected = false;
};

// A plain TCP socket for malformed and partial frames.
struct raw_socket {
    explicit raw_socket(int port) : fd(socket(AF_INET, SOCK_STREAM, 0)) {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(static_cast<std::uint16_t>(port));
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~raw_socket() { close(fd); }
    void send_bytes(const bytes& b) const {
        ASSERT_EQ(send(fd, b.data(), b.size(), MSG_NOSIGNAL), ssize_t(b.size()));
    }
    // Reads until `n` bytes arrived or the timeout; returns what came.
    bytes recv_bytes(std::size_t n, std::chrono::milliseconds timeout = 2s) const {
        bytes out;
        const auto end = std::chrono::steady_clock::now() + timeout;
        while (out.size() < n) {
            const auto left = std::max(0ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                end - std::chrono::steady_clock::now()));
            pollfd p{fd, POLLIN, 0};
            if (poll(&p, 1, int(left.count())) <= 0) break;  // 0 ms: only what already came
            std::uint8_t buf[512];
            const auto got = recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
            if (got <= 0) break;
            out.insert(out.end(), buf, buf + got);
        }
        return out;
    }
    // True when the peer closed the connection within the timeout.
    bool closed_by_peer(std::chrono::milliseconds timeout) const {
        pollfd p{fd, POLLIN, 0};
        if (poll(&p, 1, int(timeout.count())) <= 0) return false;
        std::uint8_t b;
        return recv(fd, &b, 1, 0) <= 0;
    }
    int fd;
    bool connected = false;
};

class bridge_test : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        bridge_ = new vx::test::bridge(vx::test::write_temp_config("site.yaml", site_config()));
    }
    static void TearDownTestSuite() {
        EXPECT_EQ(bridge_->proc.stop(SIGTERM), 0) << "SIGTERM must stop the bridge cleanly";
        delete bridge_;
    }
    static int port() { return bridge_->port; }
    static vx::test::bridge* bridge_;
};
vx::test::bridge* bridge_test::bridge_ = nullptr;

TEST_F(bridge_test, reads_every_type) {
    client c(port());
    ASSERT_TRUE(c.connected);
    std::uint16_t r[28];
    ASSERT_EQ(modbus_read_registers(c.ctx, 0, 28, r), 28) << modbus_strerror(errno);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(bytes{
                              std::uint8_t(r[0] >> 8), std::uint8_t(r[0]), std::uint8_t(r[1] >> 8),
                              std::uint8_t(r[1]), std::uint8_t(r[2] >> 8), std::uint8_t(r[2]),
                              std::uint8_t(r[3] >> 8), std::uint8_t(r[3])}
                                                            .data()),
                          8),
              "VXB-0001");
    EXPECT_EQ((std::uint32_t(r[6]) << 16) | r[7], 10203u);  // u32 firmware
    EXPECT_EQ(r[8], 0xFFFF);                                // pad
    EXPECT_EQ(r[10], 2304);                                 // 230.4 V x 10
    EXPECT_EQ(std::int16_t(r[11]), -125);                   // -12.5 A x 10
    EXPECT_EQ((std::uint64_t(r[12]) << 48) | (std::uint64_t(r[13]) << 32) |
                  (std::uint64_t(r[14]) << 16) | r[15],
              123456789012ull);
    EXPECT_EQ(std::int32_t((std::uint32_t(r[16]) << 16) | r[17]), -1500);
    EXPECT_FLOAT_EQ(modbus_get_float_abcd(&r[18]), 21.5f);
    std::uint64_t f64 = 0;
    for (int i = 20; i < 24; ++i) f64 = (f64 << 16) | r[i];
    double d;
    std::memcpy(&d, &f64, sizeof d);
    EXPECT_DOUBLE_EQ(d, 50.02);
    EXPECT_EQ(r[27], 0xFFD6);  // low word of i64 -42
    // Values without a source: SunSpec sentinel, or zero where the map says so.
    ASSERT_EQ(modbus_read_input_registers(c.ctx, 28, 3, r), 3);
    EXPECT_EQ(r[0], 0xFFFF);
    EXPECT_EQ(r[1], 0);
    EXPECT_EQ(r[2], 0);
    std::uint8_t bits[2];
    ASSERT_EQ(modbus_read_bits(c.ctx, 0, 2, bits), 2);
    EXPECT_EQ(bits[0], 0);
    EXPECT_EQ(bits[1], 1);
    ASSERT_EQ(modbus_read_input_bits(c.ctx, 0, 2, bits), 2);
    EXPECT_EQ(bits[0], 1);
    EXPECT_EQ(bits[1], 0);
}

TEST_F(bridge_test, writes_within_limits_are_applied_and_read_back) {
    client c(port());
    ASSERT_EQ(modbus_write_register(c.ctx, 100, std::uint16_t(-2500)), 1) << modbus_strerror(errno);
    std::uint16_t r[3];
    ASSERT_EQ(modbus_read_registers(c.ctx, 100, 1, r), 1);
    EXPECT_EQ(std::int16_t(r[0]), -2500);
    const std::uint16_t w[] = {1, 0, 255};  // mode 1, current limit 25.5 A
    ASSERT_EQ(modbus_write_registers(c.ctx, 101, 3, w), 3) << modbus_strerror(errno);
    ASSERT_EQ(modbus_read_registers(c.ctx, 101, 3, r), 3);
    EXPECT_EQ(r[0], 1);
    EXPECT_EQ(r[2], 255);
    ASSERT_EQ(modbus_write_bit(c.ctx, 0, 1), 1);
    std::uint8_t bit = 0;
    ASSERT_EQ(modbus_read_bits(c.ctx, 0, 1, &bit), 1);
    EXPECT_EQ(bit, 1);
    const std::uint8_t coils[] = {0, 0};
    ASSERT_EQ(modbus_write_bits(c.ctx, 0, 2, coils), 2);
    const std::uint16_t rw = 77;
    ASSERT_EQ(modbus_write_and_read_registers(c.ctx, 100, 1, &rw, 100, 2, r), 2);
    EXPECT_EQ(r[0], 77);
}

TEST_F(bridge_test, writes_outside_limits_are_refused) {
    client c(port());
    ASSERT_EQ(modbus_write_register(c.ctx, 100, 3001), -1);
    EXPECT_EQ(errno, EMBXILVAL);
    ASSERT_EQ(modbus_write_register(c.ctx, 101, 9), -1);  // not in the enum
    EXPECT_EQ(errno, EMBXILVAL);
    ASSERT_EQ(modbus_write_register(c.ctx, 10, 1), -1);  // read-only register
    EXPECT_EQ(errno, EMBXILADD);
    ASSERT_EQ(modbus_write_register(c.ctx, 103, 1), -1);  // second half of a u32
    EXPECT_EQ(errno, EMBXILADD);
}

int exception_of(int port, int unit, const bytes& pdu) {
    client c(port, unit);
    bytes req{std::uint8_t(unit)};
    req.insert(req.end(), pdu.begin(), pdu.end());
    if (modbus_send_raw_request(c.ctx, req.data(), int(req.size())) < 0) return -1;
    std::uint8_t rsp[MODBUS_TCP_MAX_ADU_LENGTH];
    const int n = modbus_receive_confirmation(c.ctx, rsp);
    if (n < 9) return -2;
    return (rsp[7] & 0x80) ? rsp[8] : 0;
}

TEST_F(bridge_test, every_exception_code) {
    EXPECT_EQ(exception_of(port(), 1, {0x08, 0, 0, 0, 0}), 0x01);    // unknown function
    EXPECT_EQ(exception_of(port(), 1, {0x03, 0, 40, 0, 1}), 0x02);   // unmapped
    EXPECT_EQ(exception_of(port(), 1, {0x03, 0, 0, 0, 126}), 0x03);  // bad quantity
    EXPECT_EQ(exception_of(port(), 1, {0x06, 0, 110, 0, 1}), 0x04);  // device refuses
    EXPECT_EQ(exception_of(port(), 1, {0x06, 0, 111, 0, 1}), 0x06);  // device busy
    EXPECT_EQ(exception_of(port(), 3, {0x03, 0, 0, 0, 1}), 0x0A);    // device offline
    EXPECT_EQ(exception_of(port(), 9, {0x03, 0, 0, 0, 1}), 0x0B);    // unknown unit
    EXPECT_EQ(exception_of(port(), 0, {0x03, 0, 0, 0, 1}), 0x0B);    // 0: no GX system unit
    EXPECT_EQ(exception_of(port(), 1, {0x03, 0, 31, 0, 1}), 0x0B);   // unavailable: exception
    const auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(exception_of(port(), 1, {0x06, 0, 112, 0, 1}), 0x0B);  // device never answers
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 900ms);         // after write_timeout
}

TEST_F(bridge_test, device_identification) {
    raw_socket s(port());
    s.send_bytes({0, 1, 0, 0, 0, 5, 1, 0x2B, 0x0E, 0x01, 0x00});
    const auto r = s.recv_bytes(64, 500ms);
    ASSERT_GT(r.size(), 16u);
    EXPECT_EQ(r[7], 0x2B);
    EXPECT_NE(std::string(r.begin(), r.end()).find("vxbridge"), std::string::npos);
}

TEST_F(bridge_test, slow_device_does_not_hold_up_other_clients) {
    // A write to the slow unit (0.4 s to confirm) on one connection; reads of another unit on a
    // second connection are all answered before that write's reply arrives. No wall-clock bound
    // (a loaded CI machine may be slow): the order of the answers is what a client sees.
    raw_socket writer(port());
    writer.send_bytes({0, 1, 0, 0, 0, 6, 2, 0x06, 0, 100, 0, 5});
    client reader(port(), 1);
    std::uint16_t r;
    for (int i = 0; i < 20; ++i) ASSERT_EQ(modbus_read_registers(reader.ctx, 10, 1, &r), 1);
    EXPECT_TRUE(writer.recv_bytes(12, 0ms).empty())
        << "the write must wait for the slow device's confirmation";
    const auto reply = writer.recv_bytes(12, 5s);
    ASSERT_EQ(reply.size(), 12u);
    EXPECT_EQ(reply[7], 0x06) << "the write succeeds once the device confirms";
    client check(port(), 2);
    ASSERT_EQ(modbus_read_registers(check.ctx, 100, 1, &r), 1);
    EXPECT_EQ(r, 5);
}

TEST_F(bridge_test, pipelined_requests_are_answered_in_order) {
    raw_socket s(port());
    // A write to the slow unit, then two reads: the reads must not overtake the write.
    s.send_bytes({0, 1,    0, 0,  0, 6, 2, 0x06, 0, 100, 0, 9, 0, 2,    0, 0,   0, 6,
                  1, 0x03, 0, 10, 0, 1, 0, 3,    0, 0,   0, 6, 2, 0x03, 0, 100, 0, 1});
    const auto r = s.recv_bytes(12 + 11 + 11, 3s);
    ASSERT_EQ(r.size(), 34u);
    EXPECT_EQ(r[1], 1);
    EXPECT_EQ(r[7], 0x06);
    EXPECT_EQ(r[12 + 1], 2);
    EXPECT_EQ(r[12 + 9] << 8 | r[12 + 10], 2304);
    EXPECT_EQ(r[23 + 1], 3);
    EXPECT_EQ(r[23 + 10], 9);  // the read after the write sees the written value
}

TEST_F(bridge_test, half_frame_stalls_only_its_own_connection) {
    raw_socket stalled(port());
    stalled.send_bytes({0, 1, 0, 0, 0, 6, 1, 0x03});  // 8 of 12 bytes, then nothing
    client c(port());
    std::uint16_t r;
    // Served while the stalled frame is still open (it is closed after frame_timeout, 0.5 s).
    for (int i = 0; i < 50; ++i) ASSERT_EQ(modbus_read_registers(c.ctx, 10, 1, &r), 1);
    EXPECT_FALSE(stalled.closed_by_peer(0ms)) << "the 50 reads did not wait for the stall";
    EXPECT_TRUE(stalled.closed_by_peer(2s))
        << "frame_timeout (0.5 s) must close the stalled client";
}

TEST_F(bridge_test, one_byte_at_a_time_is_served) {
    raw_socket s(port());
    const bytes req{0, 7, 0, 0, 0, 6, 1, 0x03, 0, 10, 0, 1};
    for (auto b : req) {
        s.send_bytes({b});
        std::this_thread::sleep_for(5ms);
    }
    const auto r = s.recv_bytes(11);
    ASSERT_EQ(r.size(), 11u);
    EXPECT_EQ(r[9] << 8 | r[10], 2304);
}

TEST_F(bridge_test, garbage_closes_only_that_connection) {
    client good(port());
    raw_socket bad(port());
    bad.send_bytes({0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x10, 0x01, 0x02, 0x03});  // protocol id != 0
    EXPECT_TRUE(bad.closed_by_peer(1s));
    raw_socket bad_len(port());
    bad_len.send_bytes({0, 1, 0, 0, 0x01, 0x00, 1, 3});  // length 256 > 254
    EXPECT_TRUE(bad_len.closed_by_peer(1s));
    std::uint16_t r;
    EXPECT_EQ(modbus_read_registers(good.ctx, 10, 1, &r), 1);
}

TEST_F(bridge_test, truncated_write_is_an_exception_not_a_crash) {
    raw_socket s(port());
    // FC16 claiming 100 registers with 2 bytes of data (libmodbus's modbus_reply reads past it).
    s.send_bytes({0, 1, 0, 0, 0, 9, 1, 0x10, 0, 100, 0, 100, 200, 0, 1});
    const auto r = s.recv_bytes(9);
    ASSERT_EQ(r.size(), 9u);
    EXPECT_EQ(r[7], 0x90);
    EXPECT_EQ(r[8], 0x03);
}

TEST_F(bridge_test, serves_256_concurrent_clients) {
    constexpr int kClients = 256;
    std::vector<std::unique_ptr<client>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<client>(port()));
        ASSERT_TRUE(clients.back()->connected) << i;
    }
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t)
        threads.emplace_back([&, t] {
            for (int i = t; i < kClients; i += 16) {
                std::uint16_t r[4];
                for (int k = 0; k < 5; ++k)
                    if (modbus_read_registers(clients[std::size_t(i)]->ctx, 10, 2, r) == 2 &&
                        r[0] == 2304)
                        ++ok;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok, kClients * 5);
}

// Instances with their own limits.
TEST(bridge_limits, connection_limit_and_idle_timeout) {
    vx::test::bridge b(vx::test::write_temp_config(
        "limits.yaml", site_config("  max_connections: 3\n  idle_timeout: 1\n")));
    std::vector<std::unique_ptr<client>> cs;
    for (int i = 0; i < 3; ++i) cs.push_back(std::make_unique<client>(b.port));
    std::uint16_t r;
    for (auto& c : cs) ASSERT_EQ(modbus_read_registers(c->ctx, 10, 1, &r), 1);
    raw_socket fourth(b.port);
    EXPECT_TRUE(fourth.closed_by_peer(1s)) << "over the limit: closed at once";
    EXPECT_NE(b.proc.wait_for("connection limit reached", 2s), "");
    raw_socket idle(b.port);  // does not count: the 4th was closed
    (void)idle;
    cs.clear();
    // The server lets go of the three clients when it reads their FIN; a connection made before
    // that is still over the limit and closed at once (seen under ASan). Wait for one it keeps.
    std::unique_ptr<raw_socket> quiet;
    auto t0 = std::chrono::steady_clock::now();
    for (int tries = 0; tries < 25; ++tries) {
        quiet = std::make_unique<raw_socket>(b.port);
        t0 = std::chrono::steady_clock::now();
        if (!quiet->closed_by_peer(200ms)) break;
    }
    EXPECT_TRUE(quiet->closed_by_peer(3s));  // the idle timeout (1 s)
    EXPECT_GE(std::chrono::steady_clock::now() - t0, 800ms);
    EXPECT_EQ(b.proc.stop(), 0);
}

TEST(bridge_limits, allow_list_refuses_other_addresses) {
    vx::test::bridge b(
        vx::test::write_temp_config("allow.yaml", site_config("  allow: [10.0.0.0/8]\n")));
    raw_socket s(b.port);
    EXPECT_TRUE(s.closed_by_peer(1s));
    EXPECT_NE(b.proc.wait_for("not in the allow-list", 2s), "");
    EXPECT_EQ(b.proc.stop(), 0);
    vx::test::bridge ok(
        vx::test::write_temp_config("allow2.yaml", site_config("  allow: [127.0.0.0/8]\n")));
    client c(ok.port);
    std::uint16_t r;
    EXPECT_EQ(modbus_read_registers(c.ctx, 10, 1, &r), 1);
}

// modbus.unit0_alias: unit 0 on TCP is served by the unit named (auto: the GX system unit).
TEST(bridge_limits, unit0_alias_serves_unit_0_as_another_unit) {
    vx::test::bridge b(
        vx::test::write_temp_config("alias.yaml", site_config("  unit0_alias: 2\n")));
    client zero(b.port, 0), two(b.port, 2);
    ASSERT_EQ(modbus_write_register(two.ctx, 100, 1234), 1) << modbus_strerror(errno);
    std::uint16_t r = 0;
    ASSERT_EQ(modbus_read_registers(zero.ctx, 100, 1, &r), 1) << modbus_strerror(errno);
    EXPECT_EQ(r, 1234);
    EXPECT_EQ(b.proc.stop(), 0);
    const auto bad =
        vx::test::write_temp_config("alias-bad.yaml", site_config("  unit0_alias: 7\n"));
    vx::test::process p({VXBRIDGE_BIN, "check", "-c", bad});
    EXPECT_NE(p.wait_for("modbus.unit0_alias: no unit 7 in 'units'"), "") << p.output();
    EXPECT_EQ(p.stop(0, 5s), 2);
}

TEST(bridge_limits, read_only_mode) {
    vx::test::bridge b(vx::test::write_temp_config("ro.yaml", site_config("  read_only: true\n")));
    client c(b.port);
    EXPECT_EQ(modbus_write_register(c.ctx, 100, 1), -1);
    EXPECT_EQ(errno, EMBXILFUN);
    std::uint16_t r;
    EXPECT_EQ(modbus_read_registers(c.ctx, 100, 1, &r), 1);
}

TEST(bridge_cli, check_reports_every_problem_and_exits_2) {
    const auto map = vx::test::write_temp_config("bad-map.yaml",
                                                 "schema: 1\nname: x\ndriver: static\nregisters:\n"
                                                 "  - {name: a, address: 0, type: u99}\n  - {name: "
                                                 "b, address: 1, type: u16, source: {ram: x}}\n");
    const auto cfg = vx::test::write_temp_config(
        "bad-site.yaml",
        "modbus: {listen: 127.0.0.1:0, colour: 1}\ndevices: {mem: {driver: static}}\n"
        "units:\n  - {unit_id: 1, device: mem, map: bad-map.yaml}\n");
    vx::test::process p({VXBRIDGE_BIN, "check", "-c", cfg});
    EXPECT_NE(p.wait_for("bad-site.yaml:1:31: unknown key 'colour'"), "") << p.output();
    EXPECT_NE(p.wait_for("bad-map.yaml:5:33: unknown type 'u99'"), "") << p.output();
    EXPECT_EQ(p.stop(0, 5s), 2);
}

TEST(bridge_cli, check_reports_driver_binding_problems) {
    const auto map =
        vx::test::write_temp_config("bind-map.yaml",
                                    "schema: 1\nname: x\ndriver: static\nregisters:\n  - {name: b, "
                                    "address: 1, type: u16, source: {ram: x}}\n");
    const auto cfg = vx::test::write_temp_config("bind-site.yaml",
                                                 "devices: {mem: {driver: static}}\nunits:\n  - "
                                                 "{unit_id: 1, device: mem, map: bind-map.yaml}\n");
    vx::test::process p({VXBRIDGE_BIN, "check", "-c", cfg});
    EXPECT_NE(p.wait_for("bind-map.yaml:5:5: 'b': driver static serves {value: X}"), "")
        << p.output();
    EXPECT_EQ(p.stop(0, 5s), 2);
}

// `vxbridge check -c cfg` prints each of `lines` (in this order) and exits 2.
void expect_check_reports(const std::string& cfg, const std::vector<std::string>& lines) {
    vx::test::process p({VXBRIDGE_BIN, "check", "-c", cfg});
    for (const auto& l : lines) EXPECT_NE(p.wait_for(l), "") << l << "\n" << p.output();
    EXPECT_EQ(p.stop(0, 5s), 2);
}

// A wrong source names what the driver accepts and the closest valid name (issue 10.3).
TEST(bridge_cli, check_lists_a_drivers_source_names_with_a_suggestion) {
    const auto map = vx::test::write_temp_config(
        "vebus-map.yaml",
        "schema: 1\nname: x\ndriver: vebus\nregisters:\n"
        "  - {name: a, address: 1, type: u16, source: {ram: bat_v}}\n"
        "  - {name: b, address: 2, type: u16, source: {vebus: bat_vv}}\n"
        "  - {name: c, address: 3, type: u16, source: {bridge: utc_second}}\n");
    const auto cfg =
        vx::test::write_temp_config("vebus-site.yaml",
                                    "devices: {multi: {driver: vebus, port: /dev/null}}\nunits:\n"
                                    "  - {unit_id: 1, device: multi, map: vebus-map.yaml}\n");
    expect_check_reports(cfg, {"vebus-map.yaml:5:5: 'a': driver vebus serves {vebus: NAME} and "
                               "{value: X}, not {ram: ...} (did you mean {vebus: bat_v}?)",
                               "vebus-map.yaml:6:5: 'b': unknown VE.Bus point 'bat_vv' (did you "
                               "mean 'bat_v'?); {vebus: NAME} knows ac_in_v, ",
                               "'c': unknown bridge point 'utc_second' (did you mean "
                               "'utc_seconds'?)"});
}

TEST(bridge_cli, check_names_the_closest_config_key) {
    const auto cfg = vx::test::write_temp_config(
        "typo-site.yaml",
        "modbus: {listen: 127.0.0.1:0, max_conections: 3}\ndevices: {mem: {driver: statc}}\n"
        "units: []\n");
    expect_check_reports(cfg,
                         {"typo-site.yaml:1:31: unknown key 'max_conections' in modbus "
                          "(did you mean 'max_connections'?)",
                          "unknown driver 'statc' (known: static, vebus, xcom, modbus) (did you "
                          "mean 'static'?)"});
}

// Modbus RTU over a socat pty pair: the bridge's RTU bus (several units on one port, others
// silent) against libmodbus's RTU master and mbpoll.
class rtu_test : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(vx::test::write_temp_config("rtu-dummy", "")).parent_path();
        srv_ = (dir_ / "ttyS_srv").string();
        cli_ = (dir_ / "ttyS_cli").string();
        socat_ = std::make_unique<vx::test::process>(std::vector<std::string>{
            "socat", "-d", "-d", "pty,raw,echo=0,link=" + srv_, "pty,raw,echo=0,link=" + cli_});
        ASSERT_NE(socat_->wait_for("starting data transfer loop"), "") << socat_->output();
        const auto cfg = vx::test::write_temp_config(
            "rtu.yaml", "modbus:\n  listen: ~\n  rtu: {port: " + srv_ +
                            ", baud: 19200, parity: even, units: [1, 3]}\n"
                            "devices:\n  mem: {driver: static}\n  other: {driver: static}\n"
                            "units:\n  - {unit_id: 1, device: mem, map: " +
                            kMap + "}\n  - {unit_id: 2, device: other, map: " + kMap +
                            "}\n  - {unit_id: 3, device: other, map: " + kMap + "}\n");
        bridge_ = std::make_unique<vx::test::process>(
            std::vector<std::string>{VXBRIDGE_BIN, "run", "-c", cfg});
        ASSERT_NE(bridge_->wait_for("Modbus RTU on"), "") << bridge_->output();
    }
    void TearDown() override {
        EXPECT_EQ(bridge_->stop(), 0);
        socat_->stop();
    }
    std::filesystem::path dir_;
    std::string srv_, cli_;
    std::unique_ptr<vx::test::process> socat_, bridge_;
};

TEST_F(rtu_test, libmodbus_rtu_client_reads_and_writes) {
    modbus_t* ctx = modbus_new_rtu(cli_.c_str(), 19200, 'E', 8, 1);
    modbus_set_slave(ctx, 1);
    modbus_set_response_timeout(ctx, 1, 0);
    ASSERT_EQ(modbus_connect(ctx), 0);
    std::uint16_t r[2];
    ASSERT_EQ(modbus_read_registers(ctx, 10, 2, r), 2) << modbus_strerror(errno);
    EXPECT_EQ(r[0], 2304);
    EXPECT_EQ(std::int16_t(r[1]), -125);
    ASSERT_EQ(modbus_write_register(ctx, 100, 1234), 1) << modbus_strerror(errno);
    ASSERT_EQ(modbus_read_registers(ctx, 100, 1, r), 1);
    EXPECT_EQ(r[0], 1234);
    EXPECT_EQ(modbus_write_register(ctx, 100, 5000), -1);
    EXPECT_EQ(errno, EMBXILVAL);
    modbus_set_slave(ctx, 3);  // a second unit on the same port (its own device)
    ASSERT_EQ(modbus_read_registers(ctx, 100, 1, r), 1) << modbus_strerror(errno);
    EXPECT_NE(r[0], 1234) << "unit 3 is another device";
    modbus_set_slave(ctx, 2);  // a unit the port does not list (units: [1, 3]): no answer
    EXPECT_EQ(modbus_read_registers(ctx, 10, 1, r), -1);
    EXPECT_EQ(errno, ETIMEDOUT);
    modbus_set_slave(ctx, 9);  // another slave on the bus: no answer
    EXPECT_EQ(modbus_read_registers(ctx, 10, 1, r), -1);
    EXPECT_EQ(errno, ETIMEDOUT);
    modbus_close(ctx);
    modbus_free(ctx);
}

TEST_F(rtu_test, mbpoll_rtu_reads) {
    vx::test::process p({"mbpoll", "-m", "rtu", "-a", "1",  "-b", "19200", "-P", "even", "-t",
                         "4",      "-0", "-r",  "10", "-c", "2",  "-1",    "-o", "1",    cli_});
    EXPECT_NE(p.wait_for("[10]: \t2304"), "") << p.output();
    EXPECT_NE(p.wait_for("[11]: \t65411"), "") << p.output();  // -125 as u16
    EXPECT_EQ(p.stop(0, 5s), 0);
}

}  // namespace

namespace {

TEST(bridge_cli, regs_prints_the_register_list) {
    vx::test::process csv({VXBRIDGE_BIN, "regs", kMap, "--format", "csv"});
    EXPECT_NE(
        csv.wait_for("holding+input,100,setpoint,i16,1,1,W,rw,-3000,3000,,value:0,Power setpoint"),
        "")
        << csv.output();
    EXPECT_EQ(csv.stop(0, 5s), 0);
    vx::test::process md({VXBRIDGE_BIN, "regs", kMap});
    EXPECT_NE(md.wait_for("| coils | 0 | relay | bit | 1 | 1 |  | rw |"), "") << md.output();
    EXPECT_EQ(md.stop(0, 5s), 0);
}

TEST(bridge_cli, demo_serves_and_stops_on_ctrl_c) {
    vx::test::process demo({VXBRIDGE_BIN, "demo", "--listen", "127.0.0.1:0"});
    const auto line = demo.wait_for("vxbridge demo: Modbus TCP on 127.0.0.1:");
    ASSERT_NE(line, "") << demo.output();
    EXPECT_NE(demo.wait_for("mbpoll -m tcp"), "");
    const int port = std::stoi(line.substr(line.rfind(':') + 1));
    client c(port, 200);
    std::uint16_t r;
    EXPECT_EQ(modbus_read_registers(c.ctx, 10, 1, &r), 1);
    EXPECT_EQ(r, 2304);
    // The simulated Multi behind a pty, served as GX unit 227.
    EXPECT_NE(demo.wait_for("VE.Bus up"), "") << demo.output();
    client gx(port, 227);
    std::uint16_t v[2] = {0, 0};
    for (int i = 0; i < 50 && v[0] == 0; ++i) {
        ASSERT_EQ(modbus_read_registers(gx.ctx, 26, 2, v), 2) << modbus_strerror(errno);
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_GT(v[0], 4800);  // battery voltage x100
    // The demo runs ESS "optimized" on its EM24 Ethernet: the bridge holds the grid (system 820,
    // the meter's L1) at 2700 = 50 W while the simulated household's load and PV move.
    // First the loop's own word that it regulates, then the grid near 2700 on five fresh VE.Bus
    // measurements in a row (each a new value of the Multi's poll counter on the status unit).
    ASSERT_NE(demo.wait_for("multi.ess: regulating", 30s), "") << demo.output();
    client sys(port, 100), status(port, 247);
    const auto polls = [&] {  // the Multi is device 3 of the demo (grid, mem, multi, studer)
        std::uint16_t r[2] = {0, 0};
        EXPECT_EQ(modbus_read_registers(status.ctx, 151, 2, r), 2) << modbus_strerror(errno);
        return std::uint32_t{r[0]} << 16 | r[1];
    };
    int near_target = 0;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (auto seen = polls(); near_target < 5 && std::chrono::steady_clock::now() < deadline;) {
        if (const auto now = polls(); now == seen)
            continue;  // no new measurement yet
        else
            seen = now;
        std::uint16_t g = 0;
        ASSERT_EQ(modbus_read_input_registers(sys.ctx, 820, 1, &g), 1) << modbus_strerror(errno);
        near_target = std::abs(static_cast<std::int16_t>(g) - 50) <= 30 ? near_target + 1 : 0;
    }
    EXPECT_EQ(near_target, 5) << "grid not held at 50 W:\n" << demo.output();
    // The meter itself as a GX serves it (unit 30), where evcc reads the grid currents.
    client meter(port, 30);
    std::uint16_t l1[3] = {0, 0, 0};
    ASSERT_EQ(modbus_read_registers(meter.ctx, 2616, 2, l1), 2) << modbus_strerror(errno);
    EXPECT_NEAR(l1[0] / 10.0, 230, 4) << "L1 voltage";
    // The simulated Studer system over loopback UDP, served as an Xcom-485i (unit 11).
    client xt(port, 11);

    float volts = 0;
    for (int i = 0; i < 100 && !(volts > 40); ++i) {
        const int n = modbus_read_input_registers(xt.ctx, 0, 2, v);
        ASSERT_TRUE(n == 2 || errno == EMBXGPATH)
            << modbus_strerror(errno);  // 0x0A until it answers

        volts = modbus_get_float_abcd(v);
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_NEAR(volts, 52, 6) << "the simulated plant's 48 V bank";
    EXPECT_EQ(demo.stop(SIGINT), 0);
}

TEST(bridge_cli, port_in_use_is_a_runtime_failure) {
    vx::test::bridge first(vx::test::write_temp_config("first.yaml", site_config()));
    vx::test::process second({VXBRIDGE_BIN, "run", "-c",
                              vx::test::write_temp_config("second.yaml", site_config()), "--listen",
                              "127.0.0.1:" + std::to_string(first.port)});
    EXPECT_NE(second.wait_for("cannot listen on"), "") << second.output();
    EXPECT_EQ(second.stop(0, 5s), 1);
}

}  // namespace

namespace {

TEST(bridge_cli, check_validates_studer_sources_against_the_device_family) {
    const auto cfg = vx::test::write_temp_config(
        "family.yaml",
        "devices: {s: {driver: xcom, transport: {udp: {remote: 127.0.0.1:9, local: "
        "127.0.0.1:0}}}}\n"
        "units:\n  - {unit_id: 21, device: s, address: 301, map: " +
            std::string(VXBRIDGE_SOURCE_DIR) + "/maps/studer-xcom485i/xtender.yaml}\n");
    vx::test::process p({VXBRIDGE_BIN, "check", "-c", cfg});
    // The Xtender map bound to a VarioTrack address: every info is named, with its line.
    EXPECT_NE(
        p.wait_for(
            "xtender.yaml:17:5: 'i3000': info 3000 does not exist on a VarioTrack (address 301)"),
        "")
        << p.output();
    EXPECT_EQ(p.stop(0, 5s), 2);
}

// The demo as nobody, wherever the checkout lives (a root user's clone under /root is not
// readable by nobody): the binary and the data it needs are laid out in a temporary directory
// nobody can read, next to a candidate data directory nobody may look into (config/, mode 0700),
// which the binary must skip instead of aborting with a filesystem_error (issue 10.1 and 10.2).
TEST(bridge_cli, demo_runs_as_an_unprivileged_user) {
    if (getuid() != 0) GTEST_SKIP() << "needs root to switch to nobody";
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "vxb-nobody-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    const fs::path root = tmpl;
    struct cleanup {
        fs::path p;
        ~cleanup() {
            std::error_code ec;
            fs::remove_all(p, ec);
        }
    } remove_later{root};
    const auto everyone = fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                          fs::perms::others_read | fs::perms::others_exec;
    fs::permissions(root, everyone);
    fs::create_directories(root / "bin");
    std::error_code ec;
    fs::create_hard_link(VXBRIDGE_BIN, root / "bin" / "vxbridge", ec);
    if (ec) fs::copy_file(VXBRIDGE_BIN, root / "bin" / "vxbridge");
    fs::permissions(root / "bin" / "vxbridge", everyone);
    fs::create_directory(root / "config");  // the build-tree candidate: root's only
    fs::permissions(root / "config", fs::perms::owner_all);
    const auto share = root / "share" / "vxbridge";
    fs::create_directories(share);
    for (const char* d : {"config", "maps"})
        fs::copy(fs::path(VXBRIDGE_SOURCE_DIR) / d, share / d, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(root / "share"))
        fs::permissions(e.path(), e.is_directory()
                                      ? everyone
                                      : everyone & ~(fs::perms::owner_exec | fs::perms::group_exec |
                                                     fs::perms::others_exec));

    vx::test::process demo({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            (root / "bin" / "vxbridge").string(), "demo", "--listen",
                            "127.0.0.1:0"});
    const auto line = demo.wait_for("vxbridge demo: Modbus TCP on 127.0.0.1:");
    ASSERT_NE(line, "") << demo.output();
    EXPECT_NE(demo.wait_for("VE.Bus up"), "") << demo.output();
    EXPECT_EQ(demo.output().find("terminate called"), std::string::npos) << demo.output();
    EXPECT_EQ(demo.stop(SIGINT), 0);
}

}  // namespace
