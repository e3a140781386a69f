// The point store: one device subscription per point whatever the number of consumers, the
// latest sample for late subscribers, subscriptions owned by their consumer, interest passed on
// to the device, reload semantics.
#include <gtest/gtest.h>

#include "vxbridge/devices/point_store.hpp"

namespace {

using clock_t_ = std::chrono::steady_clock;

// A device that records what it was asked for and lets the test publish.
class fake_device final : public vx::devices::device {
  public:
    fake_device() : device("dev") {}
    std::string check_point(const vx::core::point_spec&) const override { return {}; }
    void subscribe(const vx::core::point_spec& p, vx::devices::value_listener l) override {
        specs.push_back(p);
        listeners.push_back(std::move(l));
    }
    void clear_subscriptions() override { listeners.clear(); }
    void write(const vx::core::point_spec&, const vx::core::value&, vx::core::write_done done,
               time_point) override {
        done(vx::core::make_result(vx::core::outcome::ok));
    }
    bool online() const override { return true; }
    void publish(double v, clock_t_::time_point t = clock_t_::now()) {
        for (const auto& l : listeners) l(v, t);
    }
    std::vector<vx::core::point_spec> specs;
    std::vector<vx::devices::value_listener> listeners;
};

vx::core::point_spec spec(const std::string& key, int address = 0, std::string binding = "1/a") {
    vx::core::point_spec s;
    s.ref = {"info", key, {}};
    s.device_address = address;
    s.binding = std::move(binding);
    return s;
}

TEST(point_store, asks_the_device_once_and_fans_out) {
    auto store = std::make_shared<vx::devices::point_store>();
    auto dev = std::make_shared<fake_device>();
    std::vector<double> a, b;
    auto sa = store->subscribe(dev, spec("3000", 101),
                               [&](const auto& v, auto) { a.push_back(*vx::core::as_double(v)); });
    auto sb = store->subscribe(dev, spec("3000", 101, "2/b"),
                               [&](const auto& v, auto) { b.push_back(*vx::core::as_double(v)); });
    ASSERT_EQ(dev->specs.size(), 1u);  // one point, two consumers
    dev->publish(51.2);
    EXPECT_EQ(a, std::vector<double>{51.2});
    EXPECT_EQ(b, std::vector<double>{51.2});
    // The same info of another device address is another point.
    auto sc = store->subscribe(dev, spec("3000", 102), [](const auto&, auto) {});
    EXPECT_EQ(dev->specs.size(), 2u);
}

TEST(point_store, a_late_subscriber_gets_the_latest_sample_and_a_dropped_token_unsubscribes) {
    auto store = std::make_shared<vx::devices::point_store>();
    auto dev = std::make_shared<fake_device>();
    auto first = store->subscribe(dev, spec("3000"), [](const auto&, auto) {});
    const auto t = clock_t_::now();
    dev->publish(12.5, t);
    int calls = 0;
    {
        auto late = store->subscribe(dev, spec("3000", 0, "9/z"), [&](const auto& v, auto stamp) {
            ++calls;
            EXPECT_EQ(*vx::core::as_double(v), 12.5);
            EXPECT_EQ(stamp, t);  // the time of the device's answer, not of the subscription
        });
        EXPECT_EQ(calls, 1);
        dev->publish(12.5, t);
        EXPECT_EQ(calls, 2);
    }
    dev->publish(13.0);
    EXPECT_EQ(calls, 2);  // its token is gone
    const auto latest = store->latest("dev", vx::devices::point_store::key_of(spec("3000")));
    ASSERT_TRUE(latest);
    EXPECT_EQ(*vx::core::as_double(latest->value), 13.0);
}

TEST(point_store, interest_is_the_latest_of_every_consumer) {
    auto store = std::make_shared<vx::devices::point_store>();
    auto dev = std::make_shared<fake_device>();
    const auto t1 = clock_t_::now(), t2 = t1 + std::chrono::seconds(5);
    auto a = store->subscribe(
        dev, spec("3000"), [](const auto&, auto) {}, [t1] { return t1; });
    auto b = store->subscribe(
        dev, spec("3000", 0, "2/b"), [](const auto&, auto) {}, [t2] { return t2; });
    ASSERT_TRUE(dev->specs[0].last_read);
    EXPECT_EQ(dev->specs[0].last_read(), t2);
    b.reset();
    EXPECT_EQ(dev->specs[0].last_read(), t1);
    // A consumer without an interest function always needs the value (the ESS loop).
    auto c = store->subscribe(dev, spec("3000", 0, "3/c"), [](const auto&, auto) {});
    EXPECT_EQ(dev->specs[0].last_read(), clock_t_::time_point::max());
    a.reset();
    c.reset();
    EXPECT_EQ(dev->specs[0].last_read(), clock_t_::time_point::min());
}

TEST(point_store, reload_asks_a_kept_device_again_and_keeps_its_values) {
    auto store = std::make_shared<vx::devices::point_store>();
    auto dev = std::make_shared<fake_device>();
    auto old = store->subscribe(dev, spec("3000"), [](const auto&, auto) {});
    dev->publish(7.0);
    dev->clear_subscriptions();
    store->forget_feeds("dev");
    double seen = 0;
    auto fresh = store->subscribe(dev, spec("3000"),
                                  [&](const auto& v, auto) { seen = *vx::core::as_double(v); });
    EXPECT_EQ(dev->specs.size(), 2u);  // asked again
    dev->publish(8.0);
    EXPECT_EQ(seen, 8.0);
    store->drop_device("dev");
    EXPECT_FALSE(store->latest("dev", vx::devices::point_store::key_of(spec("3000"))));
}

TEST(point_store, constants_are_per_register) {
    vx::core::point_spec a, b;
    a.ref = b.ref = {"value", "0", {}};
    a.binding = "1/a";
    b.binding = "1/b";
    EXPECT_NE(vx::devices::point_store::key_of(a), vx::devices::point_store::key_of(b));
}

}  // namespace
