// The catalogue and the simulated Xcom-232i on request frames: flash/RAM semantics, the error
// codes of section 1.7 where the real gateway gives them, multicast policy, multi-info.
#include <gtest/gtest.h>

#include <cmath>

#include "vxbridge/devices/xcom/catalogue.hpp"
#include "vxbridge/devices/xcom/xcom_sim.hpp"

namespace xc = vx::devices::xcom;

namespace {

TEST(xcom_catalogue, has_the_documented_datapoints) {
    const auto* p = xc::find(xc::family::xt, xc::kind::parameter, 1107);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->format, xc::data_format::float32);
    EXPECT_EQ(p->min, 2);
    EXPECT_EQ(p->max, 50);
    EXPECT_EQ(p->def, 32);
    EXPECT_EQ(p->level, 0x10);  // basic
    EXPECT_TRUE(xc::find(xc::family::xt, xc::kind::parameter, 1142)->signal);
    EXPECT_EQ(xc::find(xc::family::xt, xc::kind::info, 3010)->format, xc::data_format::short_enum);
    EXPECT_EQ(xc::find(xc::family::xt, xc::kind::parameter, 1311)->format,
              xc::data_format::long_enum);
    EXPECT_EQ(xc::find(xc::family::bsp, xc::kind::info, 7002)->format, xc::data_format::float32);
    EXPECT_FALSE(xc::find(xc::family::xt, xc::kind::info, 3999));
    std::size_t params = 0, infos = 0;
    for (const auto& d : xc::catalogue()) (d.k == xc::kind::info ? infos : params)++;
    EXPECT_EQ(params, 936u);  // 937 in the appendix, less the one 'Not supported'
    EXPECT_EQ(infos, 334u);
}

TEST(xcom_catalogue, families_by_address) {
    EXPECT_EQ(xc::families_of(101), std::vector{xc::family::xt});
    EXPECT_EQ(xc::families_of(315), std::vector{xc::family::vt});
    EXPECT_EQ(xc::families_of(601), (std::vector{xc::family::bsp, xc::family::bms}));
    EXPECT_TRUE(xc::families_of(400).empty());
    EXPECT_TRUE(xc::find_for_address(701, xc::kind::info, 15017));
    EXPECT_FALSE(xc::find_for_address(701, xc::kind::info, 3000));  // an Xtender info on a VS
}

class sim_test : public ::testing::Test {
  protected:
    xc::frame ask(const xc::frame& q) { return sim_.handle(q, xc::xcom_sim::clock::now()).value(); }
    xc::scom_error error_of(const xc::frame& q) { return ask(q).error().value(); }
    double value_of(const xc::frame& q, xc::data_format f) {
        return xc::decode_value(f, ask(q).data).value();
    }
    xc::xcom_sim sim_;
};

TEST_F(sim_test, ram_and_flash_values) {
    using namespace xc::property;
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1107, value_qsp), xc::data_format::float32), 32);
    ask(xc::write_request(101, 2, 1107, unsaved_value_qsp,
                          xc::encode_value(xc::data_format::float32, 16)));
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1107, unsaved_value_qsp), xc::data_format::float32),
              16);
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1107, value_qsp), xc::data_format::float32), 32);
    EXPECT_EQ(sim_.param(101, 1107)->flash_writes, 0u);
    ask(xc::write_request(101, 2, 1107, value_qsp, xc::encode_value(xc::data_format::float32, 20)));
    EXPECT_EQ(sim_.param(101, 1107)->flash_writes, 1u);
    EXPECT_EQ(sim_.param(101, 1107)->ram, 20);
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1107, min_qsp), xc::data_format::float32), 2);
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1107, level_qsp), xc::data_format::short_enum),
              0x10);
}

TEST_F(sim_test, errors_as_the_gateway_gives_them) {
    using E = xc::scom_error;
    EXPECT_EQ(error_of(xc::read_request(109, 1, 3000, 1)), E::device_not_found);
    EXPECT_EQ(error_of(xc::read_request(101, 1, 3999, 1)), E::object_id_not_found);
    EXPECT_EQ(error_of(xc::read_request(101, 1, 3000, 0x42)), E::property_not_supported);
    EXPECT_EQ(error_of(xc::read_request(101, 7, 0, 0)), E::type_not_supported);
    EXPECT_EQ(error_of(xc::write_request(101, 1, 3000, 1, {0, 0, 0, 0})), E::property_is_read_only);
    EXPECT_EQ(error_of(xc::write_request(101, 2, 1107, 0x0D, {0, 0})), E::invalid_data_length);
    EXPECT_EQ(error_of(xc::write_request(101, 2, 1107, 0x0D,
                                         xc::encode_value(xc::data_format::float32, 100))),
              E::data_too_big);
    EXPECT_EQ(error_of(xc::write_request(101, 2, 1107, 0x0D,
                                         xc::encode_value(xc::data_format::float32, 1))),
              E::data_too_small);
    EXPECT_EQ(error_of(xc::write_request(101, 2, 1142, 0x0D,
                                         xc::encode_value(xc::data_format::int32, 2))),
              E::invalid_data);
    auto q = xc::read_request(101, 1, 3000, 1);
    q.service_id = 0x07;
    EXPECT_EQ(error_of(q), E::service_not_supported);
    sim_.set_busy(true);
    EXPECT_EQ(error_of(xc::read_request(101, 1, 3000, 1)), E::gateway_busy);
}

TEST_F(sim_test, multicast_reads_answer_with_the_first_device_and_writes_reach_all) {
    EXPECT_FALSE(ask(xc::read_request(100, 1, 3000, 1)).is_error());
    ask(xc::write_request(100, 2, 1107, 0x0D, xc::encode_value(xc::data_format::float32, 25)));
    EXPECT_EQ(sim_.param(101, 1107)->ram, 25);
    xc::xcom_sim strict({{101, 102}, false, true});
    EXPECT_EQ(strict.handle(xc::read_request(100, 1, 3000, 1), xc::xcom_sim::clock::now())->error(),
              xc::scom_error::multicast_read_not_supported);
    strict.handle(
        xc::write_request(100, 2, 1107, 0x0D, xc::encode_value(xc::data_format::float32, 25)),
        xc::xcom_sim::clock::now());
    EXPECT_EQ(strict.param(102, 1107)->ram, 25);
}

TEST_F(sim_test, multi_info_and_its_absence) {
    const xc::multi_info_item items[] = {{3000, 1}, {7002, 1}, {11004, 0xFE}};
    const auto r = ask(xc::multi_info_request(items, 9));
    EXPECT_EQ(r.property_id, 9);  // echoed: the request id
    const auto m = xc::parse_multi_info(r).value();
    ASSERT_EQ(m.values.size(), 3u);
    EXPECT_NEAR(m.values[0].value, 52, 6);  // the plant's 48 V battery
    EXPECT_EQ(m.flags & 0x1E0, 0x1E0u);     // XT, BSP, VT, VS present
    xc::xcom_sim old({{101}, true, false});
    EXPECT_EQ(old.handle(xc::multi_info_request(items), xc::xcom_sim::clock::now())->error(),
              xc::scom_error::service_not_supported);
    const xc::multi_info_item none[] = {{3000, 1}};
    auto bad = xc::multi_info_request(none);
    bad.data.pop_back();
    EXPECT_EQ(error_of(bad), xc::scom_error::invalid_service_argument);
}

TEST_F(sim_test, responses_never_get_an_answer) {
    auto r = xc::response_to(xc::read_request(101, 1, 3000, 1), {});
    EXPECT_FALSE(sim_.handle(r, xc::xcom_sim::clock::now()));
}

}  // namespace

// int32 and long-enum parameters (AUX 1 timer: 1209 days, 1210/1211 minutes) read like floats.
TEST_F(sim_test, integer_parameters_read_with_their_defaults) {
    using namespace xc::property;
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1210, value_qsp), xc::data_format::int32), 420);
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1211, unsaved_value_qsp), xc::data_format::int32),
              1200);
    EXPECT_EQ(value_of(xc::read_request(101, 2, 1209, value_qsp), xc::data_format::long_enum), 0);
}
