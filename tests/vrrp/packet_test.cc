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
  EXPECT_EQ(r->advert.addresses, std::vector<IpAddress>{*Ipv4Address::parse("192.0.2.2")});
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
  EXPECT_EQ(r->advert.addresses[1], IpAddress(*Ipv4Address::parse("192.0.2.21")));
}

TEST(VrrpPacket, BuildsWhatKeepalivedSends) {
  for (const auto& fixture : {kKeepalivedPass, kKeepalivedTwoAddresses}) {
    auto bytes = hex(fixture);
    auto r = parse_datagram(bytes);
    ASSERT_TRUE(r.has_value());
    auto built = build_advert(r->advert, {r->source, r->destination});
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
  for (std::uint32_t i = 0; i < 255; ++i) a.addresses.emplace_back(Ipv4Address(0xc6336400u + i));
  auto built = build_advert(a, {});
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
      {"VRRP version 4", 20, 0x41, Drop::version_err},
      {"VRRP version 3: no longer a v2 checksum", 20, 0x31, Drop::checksum_err},
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
  auto bytes = build_advert(a, {});
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

// ---- Version 3 (RFC 5798) ---------------------------------------------------
//
// Captured from Debian's keepalived 2.2.7 (vrrp_version 3) in network
// namespaces, interface MAC 02:00:00:00:00:0a, IPv4 192.0.2.3, link-local
// fe80::ff:fe00:a. Its IPv4 checksums include the pseudo-header (RFC 5798
// §5.2.8); 2.2.7 has no v3_checksum_as_v2 (that came in 2.2.8).

// vrid 7, priority 200, advert_int 0.1, 192.0.2.2/24 and 192.0.2.20/24, to 224.0.0.18:
//   IPv4: 45 c0 0024 0028 0000 ff(TTL) 70(112) 186c c0000203 e0000012
//   VRRP: 31(v3, advert) 07(vrid) c8(200) 02(count) 000a(rsvd 0, 10 cs) e03d(sum)
//         c0000202 c0000214
const std::string kV3Ipv4 = "45c0002400280000ff70186cc0000203e00000123107c802000ae03dc0000202c0000214";
// The same router to unicast peer 192.0.2.4: vrid 9, one address; the
// pseudo-header carries the peer's address.
const std::string kV3Ipv4Unicast = "45c00020002b0000ff70367bc0000203c00002043109c801000ac063c0000202";
// vrid 8, priority 150, advert_int 0.5, fe80::1/64 and 2001:db8::2/64,
// from fe80::ff:fe00:a to ff02::12, hop limit 255 (the VRRP part: an IPv6
// raw socket reads no IPv6 header):
//   31 08 96(150) 02 0032(50 cs) 0f4e(sum) fe80::1 2001:db8::2
const std::string kV3Ipv6 =
    "3108960200320f4efe80000000000000000000000000000120010db8000000000000000000000002";
// vrid 10, priority 200, advert_int 0.1, 2001:db8::2/64, unicast from
// fe80::ff:fe00:a to the peer 2001:db8::4 with hop limit 64 (keepalived
// leaves IPv6 unicast adverts at the default hop limit).
const std::string kV3Ipv6Unicast = "310ac801000aad5e20010db8000000000000000000000002";

const IpAddress kKaLinkLocal = *IpAddress::parse("fe80::ff:fe00:a");
const Endpoints kV6Multicast{kKaLinkLocal, kMulticastGroup6};
const Endpoints kV6Unicast{kKaLinkLocal, *IpAddress::parse("2001:db8::4")};

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

TEST(VrrpPacketV3, ParsesKeepalivedsIpv4Advert) {
  auto r = parse_datagram(hex(kV3Ipv4));
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->advert.version, 3);
  EXPECT_EQ(r->advert.vrid.value, 7);
  EXPECT_EQ(r->advert.priority.value, 200);
  EXPECT_EQ(r->advert.interval, std::chrono::milliseconds(100));
  EXPECT_EQ(r->advert.addresses, (std::vector<IpAddress>{ip("192.0.2.2"), ip("192.0.2.20")}));
  EXPECT_EQ(r->source, ip("192.0.2.3"));
  EXPECT_EQ(r->hop_limit, 255);
  EXPECT_FALSE(r->checksum_as_v2);
}

TEST(VrrpPacketV3, ParsesKeepalivedsIpv6Advert) {
  auto r = parse_packet(hex(kV3Ipv6), kV6Multicast, 255);
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->advert.version, 3);
  EXPECT_EQ(r->advert.vrid.value, 8);
  EXPECT_EQ(r->advert.priority.value, 150);
  EXPECT_EQ(r->advert.interval, std::chrono::milliseconds(500));
  EXPECT_EQ(r->advert.addresses, (std::vector<IpAddress>{ip("fe80::1"), ip("2001:db8::2")}));
  EXPECT_EQ(r->source, kKaLinkLocal);
}

TEST(VrrpPacketV3, UnicastAdvertsLeaveTheHopLimitToTheEngine) {
  auto r4 = parse_datagram(hex(kV3Ipv4Unicast));
  ASSERT_TRUE(r4.has_value()) << to_string(r4.error());
  EXPECT_EQ(r4->destination, ip("192.0.2.4"));
  auto r6 = parse_packet(hex(kV3Ipv6Unicast), kV6Unicast, 64);
  ASSERT_TRUE(r6.has_value()) << to_string(r6.error());
  EXPECT_EQ(r6->hop_limit, 64);
  EXPECT_EQ(r6->advert.vrid.value, 10);
  // To the group, 64 is wrong at once (§7.1).
  auto g = parse_packet(hex(kV3Ipv6), kV6Multicast, 64);
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error(), Drop::ip_ttl_err);
}

TEST(VrrpPacketV3, BuildsWhatKeepalivedSends) {
  for (const auto& fixture : {kV3Ipv4, kV3Ipv4Unicast}) {
    auto bytes = hex(fixture);
    auto r = parse_datagram(bytes);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(build_advert(r->advert, {r->source, r->destination}), std::vector<std::byte>(bytes.begin() + 20, bytes.end()));
  }
  for (const auto& [fixture, ends] : {std::pair{kV3Ipv6, kV6Multicast}, std::pair{kV3Ipv6Unicast, kV6Unicast}}) {
    auto bytes = hex(fixture);
    auto r = parse_packet(bytes, ends, 255);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(build_advert(r->advert, ends), bytes);
  }
}

// RFC 5798 §5.2.8 checksums, computed by hand from the captures above
// (checksum field zeroed): with the pseudo-header, and without it (the
// "v3_checksum_as_v2" variant).
TEST(VrrpPacketV3, ChecksumVectors) {
  struct Case {
    std::string hex;
    Endpoints ends;
    std::uint16_t pseudo, plain;
  };
  const Case cases[] = {
      {"3107c802000a0000c0000202c0000214", {ip("192.0.2.3"), ip("224.0.0.18")}, 0xe03d, 0x82d4},
      {"3109c801000a0000c0000202", {ip("192.0.2.3"), ip("192.0.2.4")}, 0xc063, 0x44e8},
      {"3108960200320000fe80000000000000000000000000000120010db8000000000000000000000002", kV6Multicast, 0x0f4e, 0x0c86},
      {"310ac801000a000020010db8000000000000000000000002", kV6Unicast, 0xad5e, 0xd92e},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.hex);
    auto bytes = hex(c.hex);
    EXPECT_EQ(advert_checksum(bytes, c.ends, true), c.pseudo);
    EXPECT_EQ(advert_checksum(bytes, c.ends, false), c.plain);
  }
}

TEST(VrrpPacketV3, AnIpv4ChecksumWithoutThePseudoHeaderIsAcceptedAndFlagged) {
  auto bytes = hex(kV3Ipv4);
  bytes[26] = std::byte{0x82};
  bytes[27] = std::byte{0xd4};
  auto r = parse_datagram(bytes);
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_TRUE(r->checksum_as_v2);
  // Over IPv6 the pseudo-header was never optional.
  auto v6 = hex(kV3Ipv6);
  v6[6] = std::byte{0x0c};
  v6[7] = std::byte{0x86};
  auto r6 = parse_packet(v6, kV6Multicast, 255);
  ASSERT_FALSE(r6.has_value());
  EXPECT_EQ(r6.error(), Drop::checksum_err);
}

// One field of a valid v3 datagram changed alone: one specific reason.
TEST(VrrpPacketV3, EachBadFieldHasItsOwnReason) {
  struct Case {
    const char* name;
    std::size_t offset;  // into the IPv4 datagram
    std::uint8_t value;
    Drop expected;
  };
  const Case cases[] = {
      {"TTL 254", 8, 254, Drop::ip_ttl_err},
      {"protocol 113", 9, 113, Drop::invalid_protocol},
      {"source changed: pseudo-header checksum", 15, 4, Drop::checksum_err},
      {"VRRP version 4", 20, 0x41, Drop::version_err},
      {"VRRP version 2: no room for its auth data", 20, 0x21, Drop::packet_len_err},
      {"type 2", 20, 0x32, Drop::invalid_type_rcvd},
      {"vrid changed: checksum", 21, 8, Drop::checksum_err},
      {"priority changed: checksum", 22, 201, Drop::checksum_err},
      {"count 3 with two addresses", 23, 3, Drop::packet_len_err},
      {"reserved bits set: checksum", 24, 0x10, Drop::checksum_err},
      {"interval changed: checksum", 25, 0x0b, Drop::checksum_err},
      {"checksum byte", 27, 0x00, Drop::checksum_err},
      {"address changed: checksum", 31, 3, Drop::checksum_err},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(kV3Ipv4);
    bytes[c.offset] = static_cast<std::byte>(c.value);
    auto r = parse_datagram(bytes);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.expected) << to_string(r.error());
  }
}

TEST(VrrpPacketV3, EachBadFieldOverIpv6HasItsOwnReason) {
  struct Case {
    const char* name;
    std::size_t offset;  // into the VRRP part
    std::uint8_t value;
    Drop expected;
  };
  const Case cases[] = {
      {"VRRP version 2 over IPv6", 0, 0x21, Drop::version_err},
      {"VRRP version 1", 0, 0x11, Drop::version_err},
      {"type 0", 0, 0x30, Drop::invalid_type_rcvd},
      {"priority changed: checksum", 2, 1, Drop::checksum_err},
      {"count 3 with two addresses", 3, 3, Drop::packet_len_err},
      {"interval changed: checksum", 5, 0x33, Drop::checksum_err},
      {"first address changed: checksum", 23, 2, Drop::checksum_err},
      {"last address changed: checksum", 39, 3, Drop::checksum_err},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(kV3Ipv6);
    bytes[c.offset] = static_cast<std::byte>(c.value);
    auto r = parse_packet(bytes, kV6Multicast, 255);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), c.expected) << to_string(r.error());
  }
  // The endpoints are part of the sum: another source or destination fails.
  auto bytes = hex(kV3Ipv6);
  for (const Endpoints& ends : {Endpoints{ip("fe80::ff:fe00:b"), kMulticastGroup6}, kV6Unicast}) {
    auto r = parse_packet(bytes, ends, 255);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), Drop::checksum_err);
  }
}

TEST(VrrpPacketV3, EveryTruncatedPrefixGivesACleanError) {
  for (const auto& fixture : {kV3Ipv4, kV3Ipv4Unicast}) {
    auto bytes = hex(fixture);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(n);
      auto r = parse_datagram(std::span(bytes).first(n));
      ASSERT_FALSE(r.has_value());
      EXPECT_TRUE(r.error() == Drop::packet_len_err || r.error() == Drop::ip_header_err) << to_string(r.error());
    }
  }
  for (const auto& [fixture, ends] : {std::pair{kV3Ipv6, kV6Multicast}, std::pair{kV3Ipv6Unicast, kV6Unicast}}) {
    auto bytes = hex(fixture);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      auto r = parse_packet(std::span(bytes).first(n), ends, 255);
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error(), Drop::packet_len_err) << n;
    }
  }
}

TEST(VrrpPacketV3, RoundTripsTheExtremes) {
  for (int cs : {1, 10, 100, 4095}) {
    Advert a;
    a.version = 3;
    a.vrid = VrId{255};
    a.priority = Priority{0};
    a.interval = Centiseconds(cs);
    for (std::uint32_t i = 0; i < 255; ++i) {
      std::array<std::uint8_t, 16> b{0x20, 0x01, 0x0d, 0xb8};
      b[15] = static_cast<std::uint8_t>(i);
      a.addresses.emplace_back(Ipv6Address(b));
    }
    auto built = build_advert(a, kV6Multicast);
    EXPECT_EQ(built.size(), 8u + 16 * 255);
    auto back = parse_packet(built, kV6Multicast, 255);
    ASSERT_TRUE(back.has_value()) << to_string(back.error());
    EXPECT_EQ(back->advert, a);
  }
}

TEST(VrrpPacketV3, ReservedBitsAreIgnoredOnReception) {
  Advert a;
  a.version = 3;
  a.vrid = VrId{1};
  a.priority = Priority{100};
  a.interval = Centiseconds(100);
  a.addresses = {ip("192.0.2.2")};
  const Endpoints ends{ip("192.0.2.3"), kMulticastGroup};
  auto bytes = build_advert(a, ends);
  bytes[4] = std::byte{0xf0};  // Rsvd all ones, then a fresh checksum
  bytes[6] = bytes[7] = std::byte{0};
  const auto sum = advert_checksum(bytes, ends, true);
  bytes[6] = static_cast<std::byte>(sum >> 8);
  bytes[7] = static_cast<std::byte>(sum);
  auto r = parse_packet(bytes, ends, 255);
  ASSERT_TRUE(r.has_value()) << to_string(r.error());
  EXPECT_EQ(r->advert.interval, Centiseconds(100));
}

}  // namespace
}  // namespace pairgate::vrrp
