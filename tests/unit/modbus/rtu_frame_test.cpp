// RTU framing on the frames of the Modbus specifications (Application Protocol V1.1b3 and
// Serial Line V1.02 examples).
#include <gtest/gtest.h>

#include "vxbridge/modbus/rtu_frame.hpp"

namespace {

using namespace vx::modbus::rtu;
using bytes = std::vector<std::uint8_t>;

TEST(RtuFrame, Crc16OfSpecFrames) {
    // Read holding registers 108-110 of slave 0x11 (application protocol example, RTU form).
    bytes f{0x11, 0x03, 0x00, 0x6B, 0x00, 0x03};
    append_crc(f);
    EXPECT_EQ(f, (bytes{0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87}));
    EXPECT_TRUE(crc_ok(f));
    // Slave 1, FC3, 10 registers from 0: the line's classic "01 03 00 00 00 0A C5 CD".
    bytes g{0x01, 0x03, 0x00, 0x00, 0x00, 0x0A};
    append_crc(g);
    EXPECT_EQ(g[6], 0xC5);
    EXPECT_EQ(g[7], 0xCD);
    g[3] ^= 1;
    EXPECT_FALSE(crc_ok(g)) << "one flipped bit";
    EXPECT_FALSE(crc_ok(bytes{0x01, 0x03}));
}

TEST(RtuFrame, RequestLengthFromTheFirstBytes) {
    EXPECT_EQ(request_length(bytes{0x01}), 0u) << "more bytes needed";
    EXPECT_EQ(request_length(bytes{0x01, 0x03}), 8u);
    EXPECT_EQ(request_length(bytes{0x01, 0x06}), 8u);
    EXPECT_EQ(request_length(bytes{0x01, 0x10, 0x00, 0x25, 0x00}), 0u) << "byte count not yet";
    EXPECT_EQ(request_length(bytes{0x01, 0x10, 0x00, 0x25, 0x00, 0x05, 0x0A}), 19u);
    EXPECT_EQ(request_length(bytes{0x01, 0x17, 0, 0, 0, 1, 0, 2, 0, 1, 2}), 15u);
    EXPECT_EQ(request_length(bytes{0x01, 0x2B, 0x0E}), 7u);
    EXPECT_FALSE(request_length(bytes{0x01, 0x55})) << "no such function: resynchronise";
    // Found by fuzz_rtu: a byte count past the RTU maximum of 256 bytes is no request.
    EXPECT_FALSE(request_length(bytes{0x01, 0x10, 0x00, 0xDA, 0xDA, 0xFF, 0xFF}));
    EXPECT_EQ(request_length(bytes{0x01, 0x10, 0x00, 0x00, 0x00, 0x7B, 0xF6}), 255u);
    EXPECT_FALSE(request_length(bytes{0x01, 0x17, 0, 0, 0, 1, 0, 2, 0, 1, 0xF4}));
}

TEST(RtuFrame, ReplyLengthAndExceptions) {
    EXPECT_EQ(reply_length(bytes{0x01, 0x03}), 0u);
    EXPECT_EQ(reply_length(bytes{0x01, 0x03, 0x06}), 11u);
    EXPECT_EQ(reply_length(bytes{0x01, 0x83}), 5u);
    EXPECT_EQ(reply_length(bytes{0x01, 0x10}), 8u);
}

TEST(RtuFrame, SilenceBetweenFrames) {
    EXPECT_EQ(t35(9600).count(), 4011) << "3.5 x 11 bits at 9600 baud";
    EXPECT_EQ(t35(115200).count(), 1750) << "fixed above 19200 baud";
}

bytes fc4(std::uint8_t unit) {
    bytes f{unit, 0x04, 0x00, 0x00, 0x00, 0x02};
    append_crc(f);
    return f;
}

TEST(RtuFrame, SplitsARunOfTheLineIntoRequestsOtherSlavesRepliesAndNoise) {
    // Another slave's request and reply, garbage, then ours - all in one run of the line.
    bytes run = fc4(99);
    bytes reply{99, 0x04, 0x04, 0x42, 0x48, 0x00, 0x00};
    append_crc(reply);
    run.insert(run.end(), reply.begin(), reply.end());
    run.insert(run.end(), {0x00, 0xFF, 0x13});
    const auto ours = fc4(11);
    run.insert(run.end(), ours.begin(), ours.end());
    std::vector<rtu_piece> p;
    EXPECT_EQ(split(run, true, p), run.size());
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].what, rtu_piece::kind::request);
    EXPECT_EQ(p[1].what, rtu_piece::kind::reply);
    EXPECT_EQ(p[2].what, rtu_piece::kind::noise);
    EXPECT_EQ(p[2].size, 3u);
    EXPECT_EQ(p[3].what, rtu_piece::kind::request);
    EXPECT_EQ(run[p[3].offset], 11);
}

TEST(RtuFrame, ABadCrcOrHalfAFrameEndedBySilenceIsNoise) {
    auto bad = fc4(11);
    bad.back() ^= 0xFF;
    std::vector<rtu_piece> p;
    EXPECT_EQ(split(bad, true, p), bad.size());
    for (const auto& piece : p) EXPECT_EQ(piece.what, rtu_piece::kind::noise);
    p.clear();
    const auto whole = fc4(11);
    const auto half = bytes(whole.begin(), whole.begin() + 5);
    EXPECT_EQ(split(half, true, p), half.size());
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].what, rtu_piece::kind::noise);
}

TEST(RtuFrame, OnAStreamAnIncompleteFrameIsWaitedForUnlessAGoodOneFollows) {
    const auto f = fc4(11);
    std::vector<rtu_piece> p;
    EXPECT_EQ(split(std::span(f).first(5), false, p), 0u) << "the rest is still coming";
    EXPECT_TRUE(p.empty());
    // A bad CRC whose bytes look like the start of a longer frame, then a good request: the
    // good one is found (RTU over TCP sends no silence to resynchronise on).
    auto bad = fc4(11);
    bad[6] = 0x00, bad[7] = 0x02;  // reads as "FC2 ..." from its 6th byte
    bad.insert(bad.end(), f.begin(), f.end());
    EXPECT_EQ(split(bad, false, p), bad.size());
    ASSERT_FALSE(p.empty());
    EXPECT_EQ(p.back().what, rtu_piece::kind::request);
    EXPECT_EQ(p.back().offset, 8u);
}

}  // namespace
