// "Did you mean": plausible typos get the closest name, unrelated words get none.
#include <gtest/gtest.h>

#include "vxbridge/core/suggest.hpp"

using vx::core::closest_match;

TEST(suggest, finds_the_closest_name_for_typos) {
    const std::vector<std::string> keys{"listen", "max_connections", "idle_timeout", "allow"};
    EXPECT_EQ(closest_match("max_conections", keys), "max_connections");  // deletion
    EXPECT_EQ(closest_match("lisetn", keys), "listen");                   // swap
    EXPECT_EQ(closest_match("Allow", keys), "allow");                     // case
    EXPECT_EQ(closest_match("idle_timeuot", keys), "idle_timeout");
}

TEST(suggest, says_nothing_for_unrelated_words) {
    const std::vector<std::string> keys{"listen", "max_connections", "allow"};
    EXPECT_EQ(closest_match("colour", keys), "");
    EXPECT_EQ(closest_match("x", keys), "");
    EXPECT_EQ(closest_match("", keys), "");
    EXPECT_EQ(closest_match("listen", {}), "");
    EXPECT_EQ(vx::core::did_you_mean("ubatt", {"ubat", "ibat"}), " (did you mean 'ubat'?)");
    EXPECT_EQ(vx::core::did_you_mean("zzz", {"ubat", "ibat"}), "");
}

TEST(suggest, lists_names_up_to_a_limit) {
    EXPECT_EQ(vx::core::list_names({"a", "b"}), "a, b");
    EXPECT_EQ(vx::core::list_names({"a", "b", "c"}, 2), "a, b, ... (3 in all)");
}
