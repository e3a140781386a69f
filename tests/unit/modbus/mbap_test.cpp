// The MBAP codec on byte arrays: whole, partial and back-to-back ADUs, the errors that close a
// connection, and the response header.
#include <gtest/gtest.h>

#include "vxbridge/modbus/mbap.hpp"

namespace mbap = vx::modbus::mbap;
using bytes = std::vector<std::uint8_t>;

namespace {

// FC3 read of 10 registers at 0x006B, transaction 0x0001, unit 0x11 (spec example).
const bytes kRead{0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x0A};

TEST(mbap, a_whole_adu_is_one_frame) {
    const auto r = mbap::split(kRead);
    EXPECT_EQ(r.status, mbap::split_status::frame);
    EXPECT_EQ(r.size, 12u);
    EXPECT_EQ(mbap::transaction_of(kRead), 1);
    EXPECT_EQ(mbap::unit_of(kRead), 0x11);
    EXPECT_EQ(mbap::pdu_of(kRead).size(), 5u);
    EXPECT_EQ(mbap::pdu_of(kRead)[0], 0x03);
}

TEST(mbap, every_prefix_needs_more) {
    for (std::size_t n = 0; n < kRead.size(); ++n)
        EXPECT_EQ(mbap::split(std::span(kRead).first(n)).status, mbap::split_status::need_more)
            << n;
}

TEST(mbap, back_to_back_adus_split_one_at_a_time) {
    bytes two = kRead;
    two.insert(two.end(), kRead.begin(), kRead.end() - 3);  // and part of a second
    const auto first = mbap::split(two);
    ASSERT_EQ(first.status, mbap::split_status::frame);
    EXPECT_EQ(mbap::split(std::span(two).subspan(first.size)).status,
              mbap::split_status::need_more);
}

TEST(mbap, bad_protocol_and_length_are_errors_even_before_the_body) {
    bytes p = kRead;
    p[3] = 1;
    EXPECT_EQ(mbap::split(std::span(p).first(7)).status, mbap::split_status::bad_protocol);
    for (const unsigned len : {0u, 1u, 255u, 0xFFFFu}) {
        bytes l = kRead;
        l[4] = static_cast<std::uint8_t>(len >> 8);
        l[5] = static_cast<std::uint8_t>(len);
        EXPECT_EQ(mbap::split(l).status, mbap::split_status::bad_length) << len;
    }
    bytes max = kRead;  // 254 = unit id + 253-byte PDU: the largest legal ADU (260 bytes)
    max[4] = 0;
    max[5] = 254;
    max.resize(260);
    EXPECT_EQ(mbap::split(max).size, 260u);
}

TEST(mbap, a_response_keeps_the_request_header_with_its_own_length) {
    bytes out{0xAA};  // whatever is already queued stays
    const bytes pdu{0x03, 0x02, 0x12, 0x34};
    mbap::append_response(out, kRead, pdu);
    EXPECT_EQ(out, (bytes{0xAA, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x11, 0x03, 0x02, 0x12, 0x34}));
}

}  // namespace
