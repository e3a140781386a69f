// SCOM golden tests: every frame of protocols/xcom-and-xcom485i.md sections 4.1-4.3 decodes to
// its stated meaning and our encoder produces the same bytes; the stream parser resynchronises.
#include <gtest/gtest.h>

#include "../../support/hex.hpp"

#include "vxbridge/devices/xcom/scom_frame.hpp"

namespace xc = vx::devices::xcom;
using bytes = std::vector<std::uint8_t>;

namespace {

using vx::test::hex;

xc::frame decoded(const std::string& s) {
    xc::frame f;
    const auto b = hex(s);
    EXPECT_EQ(xc::decode(b, f), xc::decode_error::none) << s;
    EXPECT_EQ(xc::encode(f), b) << "re-encode of " << s;
    return f;
}

double value_of(const xc::frame& f, xc::data_format fmt) {
    return xc::decode_value(fmt, f.data).value();
}

TEST(scom_official, read_info_3000) {  // S1, S2
    const auto q = xc::read_request(101, xc::object_type::info, 3000, xc::property::value);
    EXPECT_EQ(xc::encode(q),
              hex("AA 00 01 00 00 00 65 00 00 00 0A 00 6F 71 00 01 01 00 B8 0B 00 00 01 00 C5 90"));
    const auto r = decoded(
        "AA 34 65 00 00 00 01 00 00 00 0E 00 A7 45 02 01 01 00 B8 0B 00 00 01 00 00 C0 45 41 0D "
        "CB");
    EXPECT_EQ(r.frame_flags, 0x34);
    EXPECT_EQ(r.src, 101u);
    EXPECT_EQ(r.dst, 1u);
    EXPECT_TRUE(r.is_response());
    EXPECT_TRUE(xc::is_response_to(q, r));
    EXPECT_DOUBLE_EQ(value_of(r, xc::data_format::float32), 12.359375);
}

TEST(scom_official, read_and_write_param_1138) {  // S3-S6
    const auto q = xc::read_request(101, xc::object_type::parameter, 1138, xc::property::value_qsp);
    EXPECT_EQ(xc::encode(q),
              hex("AA 00 01 00 00 00 65 00 00 00 0A 00 6F 71 00 01 02 00 72 04 00 00 05 00 7D D9"));
    EXPECT_DOUBLE_EQ(value_of(decoded("AA 34 65 00 00 00 01 00 00 00 0E 00 A7 45 02 01 02 00 72 04 "
                                      "00 00 05 00 00 00 70 42 31 0B"),
                              xc::data_format::float32),
                     60.0);
    const auto w = xc::write_request(101, xc::object_type::parameter, 1138, xc::property::value_qsp,
                                     xc::encode_value(xc::data_format::float32, 12.0));
    EXPECT_EQ(xc::encode(w), hex("AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 72 04 00 "
                                 "00 05 00 00 00 40 41 FF 9B"));
    const auto ok =
        decoded("AA 34 65 00 00 00 01 00 00 00 0A 00 A3 3D 02 02 02 00 72 04 00 00 05 00 80 F6");
    EXPECT_TRUE(xc::is_response_to(w, ok));
    EXPECT_FALSE(ok.is_error());
}

TEST(scom_official, message_guid_screen_file) {  // S7-S12
    EXPECT_EQ(xc::encode(xc::read_request(501, xc::object_type::message, 0, 0)),
              hex("AA 00 01 00 00 00 F5 01 00 00 0A 00 00 D6 00 01 03 00 00 00 00 00 00 00 03 17"));
    const auto m = decoded(
        "AA 34 F5 01 00 00 01 00 00 00 1C 00 46 0A 02 01 03 00 00 00 00 00 00 00 D0 03 00 00 10 00 "
        "69 00 00 00 82 AD 9E 59 00 00 00 00 77 60");
    ASSERT_EQ(m.data.size(), 18u);
    EXPECT_EQ(m.data[0] | (m.data[1] << 8), 976);  // total messages
    EXPECT_EQ(m.data[4], 16);                      // fan error
    EXPECT_EQ(m.data[6], 105);                     // from XT5
    EXPECT_EQ(xc::encode(xc::read_request(501, 0x0101, 1, 0x21)),
              hex("AA 00 01 00 00 00 F5 01 00 00 0A 00 00 D6 00 01 01 01 01 00 00 00 21 00 24 56"));
    EXPECT_EQ(xc::encode(xc::read_request(501, xc::object_type::guid, 0, 0)),
              hex("AA 00 01 00 00 00 F5 01 00 00 0A 00 00 D6 00 01 04 00 00 00 00 00 00 00 04 1F"));
    EXPECT_EQ(decoded("AA 23 F5 01 00 00 01 00 00 00 1A 00 33 4B 02 01 04 00 00 00 00 00 00 00 3A "
                      "D0 1B 0B 58 C9 32 BA EC 4D 35 28 61 3D 7D 40 34 A3")
                  .data.size(),
              16u);
    EXPECT_EQ(xc::encode(xc::read_request(501, 0x0100, 0, 0)),
              hex("AA 00 01 00 00 00 F5 01 00 00 0A 00 00 D6 00 01 00 01 00 00 00 00 00 00 01 06"));
}

TEST(scom_other_repos, captured_and_expected_frames) {  // R1-R6
    EXPECT_EQ(xc::encode(xc::read_request(100, xc::object_type::parameter, 1607,
                                          xc::property::unsaved_value_qsp)),
              hex("AA 00 01 00 00 00 64 00 00 00 0A 00 6E 6B 00 01 02 00 47 06 00 00 0D 00 5C F1"));
    EXPECT_EQ(xc::encode(xc::read_request(100, xc::object_type::info, 11043, 0x0D)),
              hex("AA 00 01 00 00 00 64 00 00 00 0A 00 6E 6B 00 01 01 00 23 2B 00 00 0D 00 5C CA"));
    const auto q = xc::read_request(701, xc::object_type::info, 15017, 0x0D);
    EXPECT_EQ(xc::encode(q),
              hex("AA 00 01 00 00 00 BD 02 00 00 0A 00 C9 8B 00 01 01 00 A9 3A 00 00 0D 00 F1 39"));
    const auto r = decoded(
        "AA E6 BD 02 00 00 01 00 00 00 0E 00 B3 6D 02 01 01 00 A9 3A 00 00 0D 00 00 80 11 41 C5 "
        "FC");
    EXPECT_EQ(r.frame_flags, 0xE6);  // reserved bits set: never validated
    EXPECT_TRUE(xc::is_response_to(q, r));
    EXPECT_DOUBLE_EQ(value_of(r, xc::data_format::float32), 9.09375);
    const auto e = decoded(
        "AA 22 65 00 00 00 01 00 00 00 0C 00 93 7B 03 01 01 00 B8 0B 00 00 05 00 02 00 CE 52");
    EXPECT_TRUE(e.is_error());
    EXPECT_EQ(*e.error(), xc::scom_error::device_not_found);
}

TEST(scom_computed, ram_flash_and_errors) {  // A1-F
    const auto a1 =
        xc::read_request(101, xc::object_type::parameter, 1107, xc::property::unsaved_value_qsp);
    EXPECT_EQ(xc::encode(a1),
              hex("AA 00 01 00 00 00 65 00 00 00 0A 00 6F 71 00 01 02 00 53 04 00 00 0D 00 66 2F"));
    EXPECT_EQ(xc::encode(xc::response_to(a1, xc::encode_value(xc::data_format::float32, 32.0))),
              hex("AA 00 65 00 00 00 01 00 00 00 0E 00 73 09 02 01 02 00 53 04 00 00 0D 00 00 00 "
                  "00 42 AA 25"));
    const auto b1 =
        xc::write_request(101, xc::object_type::parameter, 1107, xc::property::unsaved_value_qsp,
                          xc::encode_value(xc::data_format::float32, 30.0));
    EXPECT_EQ(xc::encode(b1), hex("AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 53 04 00 "
                                  "00 0D 00 00 00 F0 41 98 F5"));
    EXPECT_EQ(xc::encode(xc::response_to(b1, {})),
              hex("AA 00 65 00 00 00 01 00 00 00 0A 00 6F 01 02 02 02 00 53 04 00 00 0D 00 69 4C"));
    const auto c1 =
        xc::write_request(101, xc::object_type::parameter, 1107, xc::property::value_qsp,
                          xc::encode_value(xc::data_format::float32, 100.0));
    EXPECT_EQ(xc::encode(c1), hex("AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 53 04 00 "
                                  "00 05 00 00 00 C8 42 69 76"));
    EXPECT_EQ(
        xc::encode(xc::error_response(c1, xc::scom_error::data_too_big)),
        hex("AA 00 65 00 00 00 01 00 00 00 0C 00 71 05 03 02 02 00 53 04 00 00 05 00 28 00 8A 5A"));
    const auto d1 = xc::read_request(109, xc::object_type::info, 3000, 1);
    EXPECT_EQ(xc::encode(d1),
              hex("AA 00 01 00 00 00 6D 00 00 00 0A 00 77 A1 00 01 01 00 B8 0B 00 00 01 00 C5 90"));
    EXPECT_EQ(
        xc::encode(xc::error_response(d1, xc::scom_error::device_not_found)),
        hex("AA 00 6D 00 00 00 01 00 00 00 0C 00 79 55 03 01 01 00 B8 0B 00 00 01 00 02 00 CA 42"));
    const auto e1 = xc::read_request(101, xc::object_type::info, 3999, 1);
    EXPECT_EQ(xc::encode(e1),
              hex("AA 00 01 00 00 00 65 00 00 00 0A 00 6F 71 00 01 01 00 9F 0F 00 00 01 00 B0 0E"));
    EXPECT_EQ(
        *decoded(
             "AA 00 65 00 00 00 01 00 00 00 0C 00 71 05 03 01 01 00 9F 0F 00 00 01 00 22 00 D5 D6")
             .error(),
        xc::scom_error::object_id_not_found);
    EXPECT_EQ(
        *decoded(
             "AA 00 65 00 00 00 01 00 00 00 0C 00 71 05 03 01 01 00 B8 0B 00 00 01 00 13 00 DB 64")
             .error(),
        xc::scom_error::gateway_busy);
    EXPECT_EQ(xc::make_error_code(xc::scom_error::gateway_busy).message(), "GATEWAY_BUSY");
}

TEST(scom_computed, value_formats) {  // G-K, M, N
    EXPECT_EQ(
        xc::encode(
            xc::write_request(100, 2, 1126, 0x0D, xc::encode_value(xc::data_format::boolean, 0))),
        hex("AA 00 01 00 00 00 64 00 00 00 0B 00 6F 6D 00 02 02 00 66 04 00 00 0D 00 00 7A 24"));
    EXPECT_EQ(xc::encode(xc::write_request(101, 2, 1142, 0x0D,
                                           xc::encode_value(xc::data_format::int32, 1))),
              hex("AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 76 04 00 00 0D 00 01 00 "
                  "00 00 8B 36"));
    EXPECT_EQ(xc::encode(xc::write_request(101, 2, 1311, 0x05,
                                           xc::encode_value(xc::data_format::long_enum, 8))),
              hex("AA 00 01 00 00 00 65 00 00 00 0E 00 73 79 00 02 02 00 1F 05 00 00 05 00 08 00 "
                  "00 00 34 C5"));
    EXPECT_DOUBLE_EQ(value_of(decoded("AA 00 65 00 00 00 01 00 00 00 0C 00 71 05 02 01 01 00 C2 0B "
                                      "00 00 01 00 04 00 D5 8A"),
                              xc::data_format::short_enum),
                     4);
    EXPECT_EQ(
        *decoded(
             "AA 00 F5 01 00 00 01 00 00 00 0C 00 02 AE 03 02 02 00 94 13 00 00 0D 00 2B 00 E5 F1")
             .error(),
        xc::scom_error::access_denied);
    EXPECT_DOUBLE_EQ(value_of(decoded("AA 00 65 00 00 00 01 00 00 00 0C 00 71 05 02 01 02 00 53 04 "
                                      "00 00 08 00 10 00 73 1F"),
                              xc::data_format::short_enum),
                     0x10);
    EXPECT_DOUBLE_EQ(value_of(decoded("AA 00 65 00 00 00 01 00 00 00 0E 00 73 09 02 01 02 00 53 04 "
                                      "00 00 06 00 00 00 00 40 A1 F9"),
                              xc::data_format::float32),
                     2.0);
    EXPECT_FALSE(xc::decode_value(xc::data_format::boolean, bytes{2}));
    EXPECT_FALSE(xc::decode_value(xc::data_format::float32, bytes{1, 2}));
}

TEST(scom_computed, multi_info) {  // L1, L2
    const xc::multi_info_item items[] = {{3000, 0xFD}, {7002, 0x00}, {11004, 0xFE}};
    const auto q = xc::multi_info_request(items);
    EXPECT_EQ(xc::encode(q), hex("AA 00 01 00 00 00 F5 01 00 00 13 00 09 E8 00 01 0A 00 01 00 00 "
                                 "00 01 00 B8 0B FD 5A 1B 00 FC 2A FE 65 67"));
    const auto r = decoded(
        "AA 00 F5 01 00 00 01 00 00 00 27 00 1D E4 02 01 0A 00 01 00 00 00 01 00 E0 00 00 00 00 F1 "
        "53 65 B8 0B FD 00 00 52 42 5A 1B 00 00 00 AE 42 FC 2A FE 00 00 A0 3F 53 A3");
    EXPECT_TRUE(xc::is_response_to(q, r));
    const auto m = xc::parse_multi_info(r).value();
    EXPECT_EQ(m.flags, 0xE0u);
    EXPECT_EQ(m.time, 1700000000u);
    ASSERT_EQ(m.values.size(), 3u);
    EXPECT_FLOAT_EQ(m.values[0].value, 52.5f);
    EXPECT_EQ(m.values[1].info, 7002);
    EXPECT_FLOAT_EQ(m.values[1].value, 87.0f);
    EXPECT_EQ(m.values[2].aggregation, 0xFE);
    EXPECT_FLOAT_EQ(m.values[2].value, 1.25f);
    EXPECT_EQ(xc::encode(xc::response_to(q, xc::encode_multi_info_reply(m))).size(),
              r.data.size() + 16 + 10);
}

TEST(scom_parser, crlf_junk_and_split_frames) {
    xc::frame_parser p;
    auto in = hex("FF FF 0D 0A");  // junk, then two frames each followed by CR LF
    const auto a =
        hex("AA 00 01 00 00 00 64 00 00 00 0A 00 6E 6B 00 01 02 00 47 06 00 00 0D 00 5C F1 0D 0A");
    const auto b =
        hex("AA E6 BD 02 00 00 01 00 00 00 0E 00 B3 6D 02 01 01 00 A9 3A 00 00 0D 00 00 80 11 41 "
            "C5 FC 0D 0A");
    in.insert(in.end(), a.begin(), a.end());
    in.insert(in.end(), b.begin(), b.end());
    std::vector<xc::frame> got;
    for (std::size_t i = 0; i < in.size(); i += 7) {
        p.feed(std::span(in).subspan(i, std::min<std::size_t>(7, in.size() - i)));
        while (auto f = p.next()) got.push_back(*f);
    }
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].object_id, 1607u);
    EXPECT_EQ(got[1].src, 701u);
}

TEST(scom_parser, bad_checksums_are_skipped_like_the_device_does) {
    xc::frame_parser p;
    auto bad = hex(
        "AA 00 01 00 00 00 65 00 00 00 0A 00 6F 71 00 01 01 00 B8 0B 00 00 01 00 C5 91");  // data
                                                                                           // ck
    auto bad_header = hex("AA 00 01 00 00 00 65 00 00 00 0A 00 6F 72 00 01");
    const auto good =
        hex("AA 00 01 00 00 00 BD 02 00 00 0A 00 C9 8B 00 01 01 00 A9 3A 00 00 0D 00 F1 39");
    p.feed(bad);
    p.feed(bad_header);
    p.feed(good);
    const auto f = p.next();
    ASSERT_TRUE(f);
    EXPECT_EQ(f->dst, 701u);
    EXPECT_FALSE(p.next());
    EXPECT_GE(p.checksum_errors(), 2u);
}

TEST(scom_parser, garbage_never_grows_the_buffer_without_bound) {
    xc::frame_parser p;
    const bytes junk(10'000, 0x55);
    for (int i = 0; i < 10; ++i) {
        p.feed(junk);
        EXPECT_FALSE(p.next());
    }
    EXPECT_EQ(p.dropped_bytes(), 100'000u);
}

}  // namespace
