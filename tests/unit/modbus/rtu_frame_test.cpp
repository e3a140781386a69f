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

}  // namespace
