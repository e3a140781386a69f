// The web view's content without sockets: request targets, the JSON API's answers and status
// codes, and what one open page is sent over its WebSocket as values change (time passed in).
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "../../support/temp_file.hpp"
#include "vxbridge/devices/static_driver/static_device.hpp"
#include "vxbridge/modbus/unit_binder.hpp"
#include "vxbridge/register_map/map_loader.hpp"
#include "vxbridge/web/view_model.hpp"

namespace rm = vx::register_map;
namespace web = vx::web;
using json = nlohmann::json;
using namespace std::chrono_literals;

namespace {

const char* kMap = R"(schema: 1
name: view-test
driver: static
max_age: 5
registers:
  - {name: volts, address: 0, type: u16, scale: 10, unit: V, source: {value: 230.4}}
  - {name: mode, address: 1, type: u16, enum: {1: on, 2: off}, source: {value: 1}}
  - {name: power, address: 2, type: i32, unit: W, access: rw, source: {value: -1500}}
  - {name: missing, address: 4, type: u16}
)";

class view_test : public ::testing::Test {
  protected:
    void SetUp() override {
        map_ = rm::load_map_or_throw(dir_.write("m.yaml", kMap));
        device_ = std::make_shared<vx::devices::static_driver::static_device>(
            "mem", io_.get_executor(), vx::devices::static_driver::static_options{});
        vx::core::diagnostics diag;
        unit_ = vx::modbus::unit_binder(store_).bind({7, "mem", 0, map_, device_}, diag);
        ASSERT_TRUE(diag.empty()) << diag.to_string();
        router_->add(unit_);
        src_.site_file = "/etc/vxbridge/site.yaml";
        src_.router = [this] { return std::shared_ptr<const vx::modbus::unit_router>(router_); };
        src_.writes = journal_;
    }

    web::http_response get(const std::string& target, const char* method = "GET") {
        return web::answer(method, target, src_, history_, web::steady::now());
    }
    json get_json(const std::string& target) {
        const auto r = get(target);
        EXPECT_EQ(r.status, 200u) << r.body;
        return json::parse(r.body);
    }
    // Sets the value of `name` in the unit's image, as a device answer would, at `stamp`.
    void set(const std::string& name, vx::core::value v, web::steady::time_point stamp) {
        for (const auto r : unit_->image->entries())
            if (unit_->image->entry(r).name == name) unit_->image->update(r, v, stamp);
    }

    vx::test::temp_dir dir_;
    boost::asio::io_context io_;
    std::shared_ptr<const rm::register_map> map_;
    std::shared_ptr<vx::devices::static_driver::static_device> device_;
    std::shared_ptr<vx::devices::point_store> store_ = std::make_shared<vx::devices::point_store>();
    std::shared_ptr<const vx::modbus::unit> unit_;
    std::shared_ptr<vx::modbus::unit_router> router_ = std::make_shared<vx::modbus::unit_router>();
    std::shared_ptr<vx::modbus::write_journal> journal_ =
        std::make_shared<vx::modbus::write_journal>();
    web::sources src_;
    web::ess_history history_;
};

TEST(parse_target, splits_and_decodes) {
    const auto t = web::parse_target("/api/units/7?filter=a%20b&x=1+2&&flag");
    ASSERT_TRUE(t.ok);
    EXPECT_EQ(t.path, "/api/units/7");
    EXPECT_EQ(t.query.at("filter"), "a b");
    EXPECT_EQ(t.query.at("x"), "1 2");
    EXPECT_EQ(t.query.at("flag"), "");
    EXPECT_FALSE(web::parse_target("/a%zz").ok);
    EXPECT_FALSE(web::parse_target("/a%4").ok);
    EXPECT_FALSE(web::parse_target("api").ok);
    EXPECT_FALSE(web::parse_target("").ok);
    EXPECT_TRUE(web::parse_target("/?").ok);
}

TEST_F(view_test, status_codes) {
    for (const char* m : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
        const auto r = get("/api/units/7", m);
        EXPECT_EQ(r.status, 405u) << m;
        EXPECT_EQ(r.allow, "GET, HEAD");
    }
    EXPECT_EQ(get("/api/units/7?filter=" + std::string(3000, 'a')).status, 414u);
    EXPECT_EQ(get("/api/units/8").status, 404u);
    EXPECT_EQ(get("/api/units/256").status, 400u);
    EXPECT_EQ(get("/api/units/").status, 400u);
    EXPECT_EQ(get("/api/nothing").status, 404u);
    EXPECT_EQ(get("/nothing").status, 404u);
    EXPECT_EQ(get("/api/writes?after=x").status, 400u);
    EXPECT_EQ(get("/%zz").status, 400u);
    const auto page = get("/", "HEAD");
    EXPECT_EQ(page.status, 200u);
    EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("/app.js"), std::string::npos);
    EXPECT_EQ(get("/app.js").content_type, "text/javascript; charset=utf-8");
}

TEST_F(view_test, a_unit_table_shows_words_values_ages_and_sources) {
    const auto now = web::steady::now();
    set("power", 250.0, now - 2s);
    const auto u = get_json("/api/units/7");
    EXPECT_EQ(u["map"], "view-test");
    ASSERT_EQ(u["rows"].size(), 4u);
    const auto& volts = u["rows"][0];
    EXPECT_EQ(volts["key"], "h0");
    EXPECT_EQ(volts["words"], json::array({2304}));
    EXPECT_DOUBLE_EQ(volts["value"].get<double>(), 230.4);
    EXPECT_EQ(volts["unit"], "V");
    EXPECT_EQ(volts["source"], "value:230.4");
    EXPECT_TRUE(volts["constant"].get<bool>());
    EXPECT_EQ(u["rows"][1]["text"], "on");
    const auto& power = u["rows"][2];
    EXPECT_EQ(power["words"], json::array({0, 250}));
    EXPECT_EQ(power["access"], "rw");
    EXPECT_NEAR(power["age_s"].get<double>(), 2.0, 0.2);
    const auto& missing = u["rows"][3];
    EXPECT_FALSE(missing["present"].get<bool>());
    EXPECT_EQ(missing["words"], json::array({0xFFFF}));
    EXPECT_TRUE(missing["value"].is_null());
    // Older than max_age (5 s): a read gets the sentinel; the view shows the last value too.
    set("power", 250.0, now - 6s);
    const auto stale = get_json("/api/units/7?filter=power")["rows"][0];
    EXPECT_FALSE(stale["fresh"].get<bool>());
    EXPECT_EQ(stale["words"], json::array({0x8000, 0}));
    EXPECT_EQ(stale["value"], 250);
    EXPECT_EQ(get_json("/api/units/7?filter=1")["rows"][0]["name"], "mode");
}

TEST_F(view_test, writes_name_their_register_and_value) {
    vx::modbus::write_record w;
    w.client = "10.1.1.1:40000";
    w.unit = 7;
    w.function = 16;
    w.address = 2;
    w.values = {0xFFFF, 0xFE0C};
    w.exception = 0;
    w.latency = 1500us;
    journal_->record(w);
    w.unit = 9;
    w.exception = 0x0B;
    journal_->record(w);
    const auto j = get_json("/api/writes");
    EXPECT_EQ(j["count"], 2);
    const auto& first = j["writes"][0];
    EXPECT_EQ(first["register"], "power");
    EXPECT_EQ(first["value"], -500);
    EXPECT_EQ(first["unit_of_value"], "W");
    EXPECT_EQ(first["outcome"], "ok");
    EXPECT_DOUBLE_EQ(first["latency_ms"].get<double>(), 1.5);
    EXPECT_EQ(j["writes"][1]["outcome"], "0x0B no answer from the device");
    EXPECT_EQ(get_json("/api/writes?after=1")["writes"].size(), 1u);
}

TEST_F(view_test, a_page_gets_only_changed_rows_on_screen) {
    web::live_view v;
    const auto t0 = web::steady::now();
    set("power", 1.0, t0);
    EXPECT_EQ(v.apply(R"({"unit": 7, "keys": ["h0", "h2", "h99"]})"), "");
    auto first = json::parse(v.update(src_, history_, t0));
    ASSERT_EQ(first["rows"].size(), 2u);                  // h99 is no row
    EXPECT_EQ(v.update(src_, history_, t0 + 500ms), "");  // nothing moved
    set("power", 2.0, t0 + 600ms);
    auto next = json::parse(v.update(src_, history_, t0 + 1s));
    ASSERT_EQ(next["rows"].size(), 1u);
    EXPECT_EQ(next["rows"][0]["key"], "h2");
    EXPECT_EQ(next["rows"][0]["words"], json::array({0, 2}));
    // The same value again, newer: its age restarts, so the row is sent.
    set("power", 2.0, t0 + 1200ms);
    EXPECT_EQ(json::parse(v.update(src_, history_, t0 + 1500ms))["rows"].size(), 1u);
    // Scrolled away and back: the row is sent again.
    EXPECT_EQ(v.apply(R"({"unit": 7, "keys": ["h0"]})"), "");
    EXPECT_EQ(v.apply(R"({"unit": 7, "keys": ["h0", "h2"]})"), "");
    EXPECT_EQ(json::parse(v.update(src_, history_, t0 + 2s))["rows"][0]["key"], "h2");
    // The unit gone (a reload): said once.
    EXPECT_EQ(v.apply(R"({"unit": 8, "keys": ["h0"]})"), "");
    EXPECT_EQ(json::parse(v.update(src_, history_, t0 + 3s))["unit_gone"], 8);
    EXPECT_EQ(v.update(src_, history_, t0 + 4s), "");
}

TEST_F(view_test, topics_come_at_their_rate) {
    web::live_view v;
    const auto t0 = web::steady::now();
    EXPECT_EQ(v.apply(R"({"topics": ["overview", "writes"]})"), "");
    auto first = json::parse(v.update(src_, history_, t0));
    EXPECT_EQ(first["overview"]["units"][0]["id"], 7);
    EXPECT_EQ(first["overview"]["units"][0]["registers"], 4);
    EXPECT_EQ(first.count("writes"), 0u);  // none yet
    EXPECT_EQ(v.update(src_, history_, t0 + 500ms), "");
    journal_->record({});
    auto later = json::parse(v.update(src_, history_, t0 + 600ms));
    EXPECT_EQ(later["writes"].size(), 1u);
    EXPECT_EQ(later.count("overview"), 0u);
    EXPECT_EQ(json::parse(v.update(src_, history_, t0 + 1100ms)).count("overview"), 1u);
}

TEST(live_view, refuses_bad_messages_and_keeps_the_last_subscription) {
    web::live_view v;
    for (const char* bad :
         {"", "nope", "[]", "1", R"({"unit": -1})", R"({"unit": 256})", R"({"unit": "7"})",
          R"({"keys": "h0"})", R"({"keys": [1]})", R"({"keys": ["h000000000"]})",
          R"({"topics": ["x"]})", R"({"topics": "overview"})"})
        EXPECT_NE(v.apply(bad), "") << bad;
    std::string many = R"({"keys": [)";
    for (int i = 0; i < 501; ++i) many += std::string(i ? "," : "") + "\"h1\"";
    EXPECT_NE(v.apply(many + "]}"), "");
    EXPECT_EQ(v.apply(R"({"unit": null, "keys": [], "topics": []})"), "");
}

}  // namespace
