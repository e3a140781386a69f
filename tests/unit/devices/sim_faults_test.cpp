// The simulators' shared fault injection: the control words and what a fault does to a reply.
#include <gtest/gtest.h>

#include <stdexcept>

#include "vxbridge/devices/sim_faults.hpp"

using vx::devices::sim_faults;

TEST(sim_faults, control_words) {
    sim_faults f;
    EXPECT_TRUE(f.control("silent", "on"));
    EXPECT_TRUE(f.silent);
    EXPECT_TRUE(f.control("drop", "0.5"));
    EXPECT_TRUE(f.control("corrupt", "1"));
    EXPECT_TRUE(f.control("delay", "1200"));
    EXPECT_EQ(f.drop, 0.5);
    EXPECT_EQ(f.corrupt, 1.0);
    EXPECT_EQ(f.delay, std::chrono::milliseconds(1200));
    EXPECT_FALSE(f.control("vanish", "100"));  // each simulator's own
    EXPECT_THROW(f.control("drop", "lots"), std::invalid_argument);
}

TEST(sim_faults, drop_loses_a_run_of_bytes_and_corrupt_flips_one) {
    std::mt19937 rng(1);
    const std::vector<std::uint8_t> reply{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    sim_faults drop;
    drop.drop = 1;
    for (int i = 0; i < 100; ++i) {
        auto b = reply;
        drop.damage(b, rng);
        EXPECT_GE(b.size(), 1u);
        EXPECT_LT(b.size(), reply.size());
    }
    sim_faults corrupt;
    corrupt.corrupt = 1;
    auto b = reply;
    corrupt.damage(b, rng);
    ASSERT_EQ(b.size(), reply.size());
    int changed = 0;
    for (std::size_t i = 0; i < b.size(); ++i) changed += b[i] != reply[i];
    EXPECT_EQ(changed, 1);
    sim_faults none;
    b = reply;
    none.damage(b, rng);
    EXPECT_EQ(b, reply);
}
