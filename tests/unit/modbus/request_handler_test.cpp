// Request handling on request objects, no sockets (STYLE.md #8): a unit backed by the real static
// driver; reads, writes, every exception, asynchronous completion from a slow device.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "../../support/temp_file.hpp"
#include "vxbridge/devices/static_driver/static_device.hpp"
#include "vxbridge/modbus/request_handler.hpp"
#include "vxbridge/modbus/unit_binder.hpp"
#include "vxbridge/register_map/map_loader.hpp"

namespace mb = vx::modbus;
namespace rm = vx::register_map;
using bytes = std::vector<std::uint8_t>;

namespace {

const char* kMap = R"(schema: 1
name: handler-test
driver: static
max_age: 0
registers:
  - {name: volts, address: 0, type: u16, scale: 10, source: {value: 230.4}}
  - {name: power, address: 1, type: i32, source: {value: -1500}}
  - {name: reserved, address: 3, type: pad, length: 1}
  - {name: missing, address: 4, type: u16}
  - {name: strict, address: 5, type: u16, unavailable: exception}
  - {name: setpoint, address: 10, type: i16, access: rw, min: -3000, max: 3000, source: {value: 0}}
  - {name: limit, address: 11, type: u32, scale: 10, access: rw, min: 0, max: 100, source: {value: 16}}
  - {name: refuse, address: 13, type: u16, access: rw, source: {value: 1, write: refuse}}
  - {name: busy, address: 14, type: u16, access: rw, source: {value: 1, write: busy}}
coils:
  - {name: relay, address: 0, access: rw, source: {value: 0}}
  - {name: lamp, address: 1, source: {value: 1}}
)";

class handler_test : public ::testing::Test {
  protected:
    void SetUp() override { build({}); }

    void build(vx::devices::static_driver::static_options opts, bool read_only = false) {
        const auto file = dir_.write("m.yaml", kMap);
        map_ = rm::load_map_or_throw(file);
        device_ = std::make_shared<vx::devices::static_driver::static_device>(
            "mem", io_.get_executor(), opts);
        store_ = std::make_shared<vx::devices::point_store>();  // a new device: a new store
        vx::core::diagnostics diag;
        auto u = mb::unit_binder(store_).bind({1, "mem", 0, map_, device_}, diag);
        ASSERT_TRUE(diag.empty()) << diag.to_string();
        auto router = std::make_shared<mb::unit_router>();
        router->add(u);
        mb::handler_options o;
        o.read_only = read_only;
        o.journal = journal_;
        handler_ = std::make_unique<mb::request_handler>(router, o);
    }

    // The response to `pdu`; pending writes are run to completion on the io_context.
    bytes ask(const bytes& pdu, std::uint8_t unit = 1, std::string_view client = "10.0.0.9:5020") {
        bytes out;
        auto job = handler_->handle(unit, pdu, out, client);
        if (job) {
            bool done = false;
            job->start(
                [&](bytes p) {
                    out = std::move(p);
                    done = true;
                },
                std::chrono::steady_clock::time_point::max());
            io_.restart();
            while (!done && io_.run_one() > 0) {
            }
            EXPECT_TRUE(done);
        }
        return out;
    }

    vx::test::temp_dir dir_;
    boost::asio::io_context io_;
    std::shared_ptr<const rm::register_map> map_;
    std::shared_ptr<vx::devices::static_driver::static_device> device_;
    std::shared_ptr<vx::devices::point_store> store_ = std::make_shared<vx::devices::point_store>();
    std::unique_ptr<mb::request_handler> handler_;
    std::shared_ptr<mb::write_journal> journal_ = std::make_shared<mb::write_journal>();
};

TEST_F(handler_test, reads_scaled_and_multi_register_values) {
    EXPECT_EQ(ask({0x03, 0, 0, 0, 4}),
              (bytes{0x03, 8, 0x09, 0x00, 0xFF, 0xFF, 0xFA, 0x24, 0xFF, 0xFF}));
    // FC4 reads the same table when the map has one table.
    EXPECT_EQ(ask({0x04, 0, 0, 0, 1}), (bytes{0x04, 2, 0x09, 0x00}));
}

TEST_F(handler_test, starting_inside_a_value_returns_its_remaining_words) {
    EXPECT_EQ(ask({0x03, 0, 2, 0, 1}), (bytes{0x03, 2, 0xFA, 0x24}));
}

TEST_F(handler_test, missing_values_read_as_sentinel_or_exception) {
    EXPECT_EQ(ask({0x03, 0, 4, 0, 1}), (bytes{0x03, 2, 0xFF, 0xFF}));
    EXPECT_EQ(ask({0x03, 0, 5, 0, 1}), (bytes{0x83, 0x0B}));
}

// The image's fast path (no gap, every entry fresh) and its per-entry path give the same bytes.
TEST_F(handler_test, a_missing_value_inside_a_range_reads_as_its_map_says) {
    EXPECT_EQ(ask({0x03, 0, 0, 0, 5}),
              (bytes{0x03, 10, 0x09, 0x00, 0xFF, 0xFF, 0xFA, 0x24, 0xFF, 0xFF, 0xFF, 0xFF}));
    EXPECT_EQ(ask({0x03, 0, 1, 0, 5}), (bytes{0x83, 0x0B}));  // 5 is unavailable: exception
}

TEST_F(handler_test, unmapped_addresses_and_gaps) {
    EXPECT_EQ(ask({0x03, 0, 6, 0, 1}), (bytes{0x83, 0x02}));
    EXPECT_EQ(ask({0x03, 0, 4, 0, 3}), (bytes{0x83, 0x02}));  // 6 is a gap
    EXPECT_EQ(ask({0x03, 0xFF, 0xF0, 0, 1}), (bytes{0x83, 0x02}));
}

TEST_F(handler_test, exception_codes) {
    EXPECT_EQ(ask({0x07}), (bytes{0x87, 0x01}));
    EXPECT_EQ(ask({0x03, 0, 0, 0, 0}), (bytes{0x83, 0x03}));
    EXPECT_EQ(ask({0x03, 0, 0, 0, 1}, 9), (bytes{0x83, 0x0B}));  // unknown unit
}

TEST_F(handler_test, write_single_register_and_read_back) {
    EXPECT_EQ(ask({0x06, 0, 10, 0xFF, 0x38}), (bytes{0x06, 0, 10, 0xFF, 0x38}));  // -200
    EXPECT_EQ(ask({0x03, 0, 10, 0, 1}), (bytes{0x03, 2, 0xFF, 0x38}));
}

TEST_F(handler_test, writes_outside_limits_are_refused_before_the_device) {
    EXPECT_EQ(ask({0x06, 0, 10, 0x0F, 0xA1}), (bytes{0x86, 0x03}));  // 4001 > 3000
    EXPECT_EQ(ask({0x03, 0, 10, 0, 1}), (bytes{0x03, 2, 0, 0}));
    EXPECT_EQ(ask({0x06, 0, 0, 0, 1}), (bytes{0x86, 0x02}));   // read-only register
    EXPECT_EQ(ask({0x06, 0, 11, 0, 1}), (bytes{0x86, 0x02}));  // half of a u32
}

TEST_F(handler_test, multi_register_write_is_all_or_nothing_at_validation) {
    // setpoint ok, limit = 200.0 A > max 100 -> nothing is written.
    EXPECT_EQ(ask({0x10, 0, 10, 0, 3, 6, 0, 5, 0, 0, 0x07, 0xD0}), (bytes{0x90, 0x03}));
    EXPECT_EQ(ask({0x03, 0, 10, 0, 3}), (bytes{0x03, 6, 0, 0, 0, 0, 0, 160}));
    EXPECT_EQ(ask({0x10, 0, 10, 0, 3, 6, 0, 5, 0, 0, 0x01, 0xF4}), (bytes{0x10, 0, 10, 0, 3}));
    EXPECT_EQ(ask({0x03, 0, 10, 0, 3}), (bytes{0x03, 6, 0, 5, 0, 0, 0x01, 0xF4}));
}

TEST_F(handler_test, device_answers_become_exceptions) {
    EXPECT_EQ(ask({0x06, 0, 13, 0, 2}), (bytes{0x86, 0x04}));
    EXPECT_EQ(ask({0x06, 0, 14, 0, 2}), (bytes{0x86, 0x06}));
}

TEST_F(handler_test, read_write_multiple_writes_then_reads) {
    EXPECT_EQ(ask({0x17, 0, 10, 0, 1, 0, 10, 0, 1, 2, 0, 42}), (bytes{0x17, 2, 0, 42}));
    EXPECT_EQ(ask({0x17, 0, 90, 0, 1, 0, 10, 0, 1, 2, 0, 43}), (bytes{0x97, 0x02}));
    EXPECT_EQ(ask({0x03, 0, 10, 0, 1}), (bytes{0x03, 2, 0, 42}));  // the failed FC23 wrote nothing
}

TEST_F(handler_test, coils) {
    EXPECT_EQ(ask({0x01, 0, 0, 0, 2}), (bytes{0x01, 1, 0b10}));
    EXPECT_EQ(ask({0x05, 0, 0, 0xFF, 0}), (bytes{0x05, 0, 0, 0xFF, 0}));
    EXPECT_EQ(ask({0x01, 0, 0, 0, 2}), (bytes{0x01, 1, 0b11}));
    EXPECT_EQ(ask({0x0F, 0, 0, 0, 2, 1, 0}), (bytes{0x8F, 0x02}));  // lamp is read-only
    EXPECT_EQ(ask({0x0F, 0, 0, 0, 1, 1, 0}), (bytes{0x0F, 0, 0, 0, 1}));
    EXPECT_EQ(ask({0x02, 0, 0, 0, 1}), (bytes{0x82, 0x02}));  // no discrete inputs in this map
}

TEST_F(handler_test, device_identification) {
    const auto r = ask({0x2B, 0x0E, 0x01, 0x00});
    ASSERT_GE(r.size(), 7u);
    EXPECT_EQ(r[6], 3);  // basic: vendor, product code, revision
    EXPECT_EQ(std::string(r.begin() + 9, r.begin() + 9 + r[8]), "vxbridge");
    const auto one = ask({0x2B, 0x0E, 0x04, 0x01});
    EXPECT_EQ(std::string(one.begin() + 9, one.end()), "handler-test");
    EXPECT_EQ(ask({0x2B, 0x0E, 0x04, 0x09}), (bytes{0xAB, 0x02}));
}

TEST_F(handler_test, read_only_mode_refuses_every_write) {
    build({}, true);
    EXPECT_EQ(ask({0x06, 0, 10, 0, 1}), (bytes{0x86, 0x01}));
    EXPECT_EQ(ask({0x03, 0, 10, 0, 1}), (bytes{0x03, 2, 0, 0}));
}

TEST_F(handler_test, offline_device_answers_gateway_path_unavailable) {
    build({std::chrono::milliseconds(0), true});
    EXPECT_EQ(ask({0x03, 0, 0, 0, 1}), (bytes{0x83, 0x0A}));
    EXPECT_EQ(ask({0x03, 0, 6, 0, 1}), (bytes{0x83, 0x02}));  // unmapped first, as a GX does
    EXPECT_EQ(ask({0x06, 0, 10, 0, 1}), (bytes{0x86, 0x0A}));
}

TEST_F(handler_test, slow_device_completes_later) {
    build({std::chrono::milliseconds(50), false});
    bytes out;
    auto job = handler_->handle(1, bytes{0x06, 0, 10, 0, 7}, out);
    ASSERT_TRUE(job);
    EXPECT_TRUE(out.empty());
    bool done = false;
    job->start(
        [&](bytes p) {
            out = std::move(p);
            done = true;
        },
        std::chrono::steady_clock::time_point::max());
    EXPECT_FALSE(done);  // the device has not answered yet
    const auto t0 = std::chrono::steady_clock::now();
    io_.run();
    EXPECT_TRUE(done);
    EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(45));
    EXPECT_EQ(out, (bytes{0x06, 0, 10, 0, 7}));
}

TEST_F(handler_test, abandoned_write_sends_nothing_more) {
    build({std::chrono::milliseconds(20), false});
    bytes out;
    auto job = handler_->handle(1, bytes{0x10, 0, 10, 0, 3, 6, 0, 9, 0, 0, 0, 10}, out);
    ASSERT_TRUE(job);
    int calls = 0;
    job->start([&](bytes) { ++calls; }, std::chrono::steady_clock::time_point::max());
    job->abandon();  // the caller's deadline passed before the first slice was confirmed
    io_.run();
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(ask({0x03, 0, 11, 0, 2}), (bytes{0x03, 4, 0, 0, 0, 160}));  // second slice never sent
}

// A write still pending at its client's deadline is not applied: the client is told 0x0B, so
// the value must not appear later.
TEST_F(handler_test, a_write_past_its_deadline_is_not_applied) {
    build({std::chrono::milliseconds(30), false});
    bytes out;
    auto job = handler_->handle(1, bytes{0x06, 0, 10, 0, 7}, out);
    ASSERT_TRUE(job);
    bool done = false;
    job->start(
        [&](bytes p) {
            out = std::move(p);
            done = true;
        },
        std::chrono::steady_clock::now() + std::chrono::milliseconds(5));
    io_.run();
    ASSERT_TRUE(done);
    EXPECT_EQ(out, (bytes{0x86, 0x0B}));
    EXPECT_EQ(ask({0x03, 0, 10, 0, 1}), (bytes{0x03, 2, 0, 0}));  // still 0
}

// The write journal (the web view's last 100 writes): every write, confirmed or not, with who
// wrote, what, the outcome the client got and how long it took; reads are not writes.
TEST_F(handler_test, the_journal_records_every_write_with_the_answer_the_client_got) {
    ask({0x03, 0, 0, 0, 4});
    ask({0x06, 0, 10, 0xFF, 0x38});  // -200: confirmed
    ask({0x06, 0, 10, 0x0F, 0xA1});  // 4001 > max: 0x03
    ask({0x06, 0, 13, 0, 2});        // the device refuses: 0x04
    ask({0x06, 0, 14, 0, 2});        // the device is busy: 0x06
    ask({0x10, 0, 10, 0, 3, 6, 0, 5, 0, 0, 0x01, 0xF4}, 1, "rtu /dev/ttyUSB0");
    ask({0x06, 0, 10, 0, 1}, 9);    // unknown unit: 0x0B
    ask({0x05, 0, 0, 0xFF, 0x00});  // coil on
    const auto w = journal_->recent();
    ASSERT_EQ(w.size(), 7u);
    EXPECT_EQ(journal_->count(), 7u);
    EXPECT_EQ(w[0].client, "10.0.0.9:5020");
    EXPECT_EQ(w[0].unit, 1);
    EXPECT_EQ(w[0].function, 6);
    EXPECT_EQ(w[0].address, 10);
    EXPECT_EQ(w[0].values, (std::vector<std::uint16_t>{0xFF38}));
    EXPECT_EQ(w[0].exception, 0);
    std::vector<int> outcomes;
    for (const auto& r : w) outcomes.push_back(r.exception);
    EXPECT_EQ(outcomes, (std::vector<int>{0, 3, 4, 6, 0, 0x0B, 0}));
    EXPECT_EQ(w[4].client, "rtu /dev/ttyUSB0");
    EXPECT_EQ(w[4].values, (std::vector<std::uint16_t>{5, 0, 0x01F4}));
    EXPECT_EQ(w[6].values, (std::vector<std::uint16_t>{1}));
    for (std::size_t i = 1; i < w.size(); ++i) EXPECT_EQ(w[i].seq, w[i - 1].seq + 1);
}

TEST_F(handler_test, the_journal_times_a_slow_device_and_records_an_abandoned_write_once) {
    build({std::chrono::milliseconds(40), false});
    ask({0x06, 0, 10, 0, 7});
    ASSERT_EQ(journal_->recent().size(), 1u);
    EXPECT_GE(journal_->recent()[0].latency, std::chrono::milliseconds(40));
    bytes out;
    auto job = handler_->handle(1, bytes{0x06, 0, 10, 0, 8}, out, "10.0.0.9:5020");
    ASSERT_TRUE(job);
    job->start([](bytes) {}, std::chrono::steady_clock::time_point::max());
    job->abandon();  // the client's deadline: it was answered 0x0B
    io_.run();       // the device's late answer is not a second record
    const auto w = journal_->recent();
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[1].exception, 0x0B);
}

TEST(write_journal, keeps_the_last_hundred) {
    mb::write_journal j;
    for (int i = 0; i < 250; ++i) {
        mb::write_record r;
        r.address = static_cast<std::uint16_t>(i);
        j.record(std::move(r));
    }
    const auto w = j.recent();
    ASSERT_EQ(w.size(), 100u);
    EXPECT_EQ(w.front().address, 150);
    EXPECT_EQ(w.back().seq, 250u);
    EXPECT_EQ(j.count(), 250u);
}

}  // namespace
