// PDU decoding: every function code, and every length/quantity mistake -> the right status.
#include <gtest/gtest.h>

#include "vxbridge/modbus/pdu.hpp"

namespace mb = vx::modbus;
using bytes = std::vector<std::uint8_t>;

namespace {

mb::decode_status decode(const bytes& b, mb::request& r) {
    return mb::decode_request(b, r);
}

TEST(pdu, read_holding) {
    mb::request r;
    ASSERT_EQ(decode({0x03, 0x00, 0x64, 0x00, 0x0A}, r), mb::decode_status::ok);
    EXPECT_EQ(r.address, 100);
    EXPECT_EQ(r.quantity, 10);
    EXPECT_FALSE(r.is_write());
}

TEST(pdu, read_quantity_limits) {
    mb::request r;
    EXPECT_EQ(decode({0x03, 0, 0, 0, 0}, r), mb::decode_status::illegal_value);
    EXPECT_EQ(decode({0x04, 0, 0, 0, 126}, r), mb::decode_status::illegal_value);
    EXPECT_EQ(decode({0x04, 0, 0, 0, 125}, r), mb::decode_status::ok);
    EXPECT_EQ(decode({0x01, 0, 0, 0x07, 0xD0}, r), mb::decode_status::ok);  // 2000 coils
    EXPECT_EQ(decode({0x02, 0, 0, 0x07, 0xD1}, r), mb::decode_status::illegal_value);
}

TEST(pdu, wrong_lengths_are_illegal_values) {
    mb::request r;
    EXPECT_EQ(decode({0x03, 0, 0, 0}, r), mb::decode_status::illegal_value);        // short
    EXPECT_EQ(decode({0x03, 0, 0, 0, 1, 9}, r), mb::decode_status::illegal_value);  // long
    EXPECT_EQ(decode({0x06, 0, 1, 0}, r), mb::decode_status::illegal_value);
    // FC16 whose byte count says 4 registers but carries 1 (libmodbus would read past the end).
    EXPECT_EQ(decode({0x10, 0, 0, 0, 4, 8, 0, 1}, r), mb::decode_status::illegal_value);
    // Byte count disagrees with the quantity.
    EXPECT_EQ(decode({0x10, 0, 0, 0, 1, 4, 0, 1, 0, 2}, r), mb::decode_status::illegal_value);
    EXPECT_EQ(decode({0x0F, 0, 0, 0, 9, 1, 0xFF}, r), mb::decode_status::illegal_value);
}

TEST(pdu, unknown_functions) {
    mb::request r;
    EXPECT_EQ(decode({0x07}, r), mb::decode_status::illegal_function);
    EXPECT_EQ(decode({0x08, 0, 0, 0, 0}, r), mb::decode_status::illegal_function);
    EXPECT_EQ(decode({0x2B, 0x0D, 1, 0}, r), mb::decode_status::illegal_function);  // CANopen MEI
    EXPECT_EQ(decode({}, r), mb::decode_status::illegal_function);
}

TEST(pdu, write_single) {
    mb::request r;
    ASSERT_EQ(decode({0x06, 0x00, 0x04, 0x04, 0xD2}, r), mb::decode_status::ok);
    EXPECT_EQ(r.write_address, 4);
    EXPECT_EQ(r.values, std::vector<std::uint16_t>{1234});
    ASSERT_EQ(decode({0x05, 0x00, 0x03, 0xFF, 0x00}, r), mb::decode_status::ok);
    EXPECT_EQ(r.values, std::vector<std::uint16_t>{1});
    EXPECT_EQ(decode({0x05, 0x00, 0x03, 0x12, 0x34}, r), mb::decode_status::illegal_value);
}

TEST(pdu, write_multiple) {
    mb::request r;
    ASSERT_EQ(decode({0x10, 0, 5, 0, 2, 4, 0, 11, 0, 22}, r), mb::decode_status::ok);
    EXPECT_EQ(r.write_quantity, 2);
    EXPECT_EQ(r.values, (std::vector<std::uint16_t>{11, 22}));
    ASSERT_EQ(decode({0x0F, 0, 4, 0, 10, 2, 0b10100101, 0b10}, r), mb::decode_status::ok);
    EXPECT_EQ(r.values, (std::vector<std::uint16_t>{1, 0, 1, 0, 0, 1, 0, 1, 0, 1}));
}

TEST(pdu, read_write_multiple) {
    mb::request r;
    ASSERT_EQ(decode({0x17, 0, 100, 0, 3, 0, 108, 0, 1, 2, 0xAB, 0xCD}, r), mb::decode_status::ok);
    EXPECT_EQ(r.address, 100);
    EXPECT_EQ(r.quantity, 3);
    EXPECT_EQ(r.write_address, 108);
    EXPECT_EQ(r.values, std::vector<std::uint16_t>{0xABCD});
    EXPECT_TRUE(r.is_write());
}

TEST(pdu, device_identification) {
    mb::request r;
    ASSERT_EQ(decode({0x2B, 0x0E, 0x01, 0x00}, r), mb::decode_status::ok);
    EXPECT_EQ(r.device_id_code, 1);
    EXPECT_EQ(decode({0x2B, 0x0E, 0x05, 0x00}, r), mb::decode_status::illegal_value);
}

TEST(pdu, response_encoders) {
    bytes out;
    mb::put_exception(out, 0x03, mb::exception_code::illegal_address);
    EXPECT_EQ(out, (bytes{0x83, 0x02}));
    out.clear();
    const std::uint16_t regs[] = {0x03E8, 0x0001};
    mb::put_registers(out, 0x03, regs);
    EXPECT_EQ(out, (bytes{0x03, 4, 0x03, 0xE8, 0x00, 0x01}));
    out.clear();
    const std::uint8_t bits[] = {1, 0, 1, 1, 0, 0, 0, 0, 1};
    mb::put_bits(out, 0x01, bits);
    EXPECT_EQ(out, (bytes{0x01, 2, 0b1101, 0x01}));
}

}  // namespace
