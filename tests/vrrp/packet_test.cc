// vrrp/packet against adverts captured from keepalived 2.2.7 (Debian 12),
// each field changed alone, and every truncation.
#include "vrrp/packet.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"

#include <string>

namespace pairgate::vrrp {
namespace {

using pairgate::testing::hex;

// keepalived: vrid 1, priority 200, advert_int 1, auth_type PASS "secret",
// 192.0.2.2/24; sent from 192.0.2.3.
//   IPv4: 45 c0 0028 0001 0000 ff(TTL) 70(112) 188f c0000203 e0000012
//   VRRP: 21(v2, advert) 01(vrid) c8(200) 01(count) 01(PASS) 01(1 s) 17ad(sum)
//         c0000202(192.0.2.2) 7365637265740000("secret")
const std::string kKeepalivedPass =
    "45c0002800010000ff70188fc0000203e00000122101c801010117adc00002027365637265740000";
// keepalived: vrid 2, priority 100, advert_int 2, no auth, 192.0.2.20 and .21.
const std::string kKeepalivedTwoAddresses =
    "45c0002c00010000ff70188bc0000203e0000012210264020002f6cec0000214c00002150000000000000000";

TEST(VrrpPacket, ParsesKeepalivedsAdvertWithPassword) {
  auto r = parse_datagram(hex(kKeepalivedPass));
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->source, *Ipv4Address::parse("192.0.2.3"));
  EXPECT_EQ(r->destination, kMulticastGroup);
  EXPECT_EQ(r->advert.version, 2);
  EXPECT_EQ(r->advert.vrid.value, 1);
  EXPECT_EQ(r->advert.priority.value, 200);
  EXPECT_EQ(r->advert.auth_type, AuthType::simple);
  EXPECT_EQ(r->advert.interval, std::chrono::seconds(1));
  EXPECT_EQ(r->advert.addresses, std::vector<Ipv4Address>{*Ipv4Address::parse("192.0.2.2")});
  EXPECT_EQ(r->advert.auth_data, simple_auth_data("secret"));
}

TEST(VrrpPacket, ParsesKeepalivedsAdvertWithTwoAddresses) {
  auto r = parse_datagram(hex(kKeepalivedTwoAddresses));
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->advert.vrid.value, 2);
  EXPECT_EQ(r->advert.priority.value, 100);
  EXPECT_EQ(r->advert.auth_type, AuthType::none);
  EXPECT_EQ(r->advert.interval, std::chrono::seconds(2));
  ASSERT_EQ(r->advert.addresses.size(), 2u);
  EXPECT_EQ(r->advert.addresses[1], *Ipv4Address::parse("192.0.2.21"));
}

TEST(VrrpPacket, BuildsWhatKeepalivedSends) {
  for (const auto& fixture : {kKeepalivedPass, kKeepalivedTwoAddresses}) {
    auto bytes = hex(fixture);
    auto r = parse_datagram(bytes);
    ASSERT_TRUE(r.has_value());
    auto built = build_advert(r->advert);
    EXPECT_EQ(built, std::vector<std::byte>(bytes.begin() + 20, bytes.end()));
  }
}

TEST(VrrpPacket, RoundTripsEveryField) {
  Advert a;
  a.vrid = VrId{255};
  a.priority = Priority{0};
  a.interval = std::chrono::seconds(255);
  a.auth_type = AuthType::simple;
  a.auth_data = simple_auth_data("12345678");
  for (std::uint32_t i = 0; i < 255; ++i) a.addresses.emplace_back(0xc6336400u + i);
  auto built = build_advert(a);
  EXPECT_EQ(built.size(), 8u + 4 * 255 + 8);
  auto back = parse_advert(built);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, a);
}

// One field of a valid datagram changed alone: one specific reason.
TEST(VrrpPacket, EachBadFieldHasItsOwnReason) {
  struct Case {
    const char* name;
    std::size_t offset;
    std::uint8_t value;
    Drop expected;
  };
  const Case cases[] = {
      {"IP version 6", 0, 0x65, Drop::ip_header_err},
      {"IHL 4", 0, 0x44, Drop::ip_header_err},
      {"total length beyond the data", 3, 0xff, Drop::ip_header_err},
      {"TTL 254 (a routed advert)", 8, 254, Drop::ip_ttl_err},
      {"TTL 1", 8, 1, Drop::ip_ttl_err},
      {"protocol 113", 9, 113, Drop::invalid_protocol},
      {"VRRP version 3", 20, 0x31, Drop::version_err},
      {"VRRP version 1", 20, 0x11, Drop::version_err},
      {"type 2", 20, 0x22, Drop::invalid_type_rcvd},
      {"priority changed: checksum", 22, 201, Drop::checksum_err},
      {"count 2 with one address", 23, 2, Drop::packet_len_err},
      {"checksum byte", 26, 0x00, Drop::checksum_err},
      {"address changed: checksum", 31, 3, Drop::checksum_err},
      {"password changed: checksum", 32, 'S', Drop::checksum_err},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(kKeepalivedPass);
    bytes[c.offset] = static_cast<std::byte>(c.value);
    auto r = parse_datagram(bytes);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.expected) << to_string(r.error());
  }
}

TEST(VrrpPacket, UnknownAuthTypeWithAValidChecksumIsInvalidAuthtype) {
  Advert a;
  a.vrid = VrId{1};
  a.priority = Priority{100};
  a.addresses = {*Ipv4Address::parse("192.0.2.2")};
  auto bytes = build_advert(a);
  bytes[4] = std::byte{3};
  bytes[6] = bytes[7] = std::byte{0};
  // Recompute the checksum so only the type is wrong.
  std::uint16_t sum = 0;
  {
    std::uint32_t s = 0;
    for (std::size_t i = 0; i < bytes.size(); i += 2) {
      s += (std::to_integer<std::uint32_t>(bytes[i]) << 8) | std::to_integer<std::uint32_t>(bytes[i + 1]);
    }
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    sum = static_cast<std::uint16_t>(~s);
  }
  bytes[6] = static_cast<std::byte>(sum >> 8);
  bytes[7] = static_cast<std::byte>(sum);
  auto r = parse_advert(bytes);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error(), Drop::invalid_authtype);
}

TEST(VrrpPacket, EveryTruncatedPrefixGivesACleanError) {
  for (const auto& fixture : {kKeepalivedPass, kKeepalivedTwoAddresses}) {
    auto bytes = hex(fixture);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(n);
      auto r = parse_datagram(std::span(bytes).first(n));
      ASSERT_FALSE(r.has_value());
      EXPECT_TRUE(r.error() == Drop::packet_len_err || r.error() == Drop::ip_header_err) << to_string(r.error());
    }
    // The VRRP part alone, cut anywhere.
    std::span<const std::byte> vrrp(bytes.begin() + 20, bytes.end());
    for (std::size_t n = 0; n < vrrp.size(); ++n) {
      auto r = parse_advert(vrrp.first(n));
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error(), Drop::packet_len_err) << n;
    }
  }
}

TEST(VrrpPacket, TrailingBytesAfterTheAuthDataAreIgnored) {
  auto bytes = hex(kKeepalivedPass);
  bytes.push_back(std::byte{0});
  bytes[3] = std::byte{0x29};  // IP total length 41
  EXPECT_TRUE(parse_datagram(bytes).has_value());
}

TEST(VrrpPacket, DropNamesFollowKeepalived) {
  EXPECT_EQ(to_string(Drop::ip_ttl_err), "ip_ttl_err");
  EXPECT_EQ(to_string(Drop::packet_len_err), "packet_len_err");
  EXPECT_EQ(to_string(Drop::owner_advert_rcvd), "owner_advert_rcvd");
}

}  // namespace
}  // namespace pairgate::vrrp
