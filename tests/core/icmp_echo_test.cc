// core/icmp_echo: the echo requests the DHCP prober and the tunnel's health
// probes send and the replies they read (hex fixtures built with Python's
// struct and checked with RFC 1071 sums), one error per broken field, every
// truncated prefix, and ICMPv6 without an IP header.
#include "core/icmp_echo.h"

#include <gtest/gtest.h>

#include "core/byte_io.h"
#include "tests/support/hex.h"

namespace pairgate {
namespace {

using pairgate::testing::hex;

// 203.0.113.50 -> 198.51.100.2, TTL 64, ICMP echo reply id 0x1234 seq 1, "pair".
const std::string kReply = "450000200000000040011475cb007132c6336402000013f71234000170616972";
// The same with a 4-byte IP option (IHL 6), seq 2.
const std::string kReplyWithOptions = "460000240000000040011170cb007132c633640201010100000013f61234000270616972";

TEST(IcmpEcho, RequestMatchesTheVector) {
  EXPECT_EQ(echo_request(Family::ipv4, 0x1234, 7), hex("0800302a123400077061697267617465"));
  EXPECT_EQ(internet_checksum(echo_request(Family::ipv4, 0xffff, 0xffff)), 0);
}

TEST(IcmpEcho, Icmpv6RequestLeavesTheChecksumToTheKernel) {
  auto v6 = echo_request(Family::ipv6, 0xbeef, 7);
  ASSERT_EQ(v6.size(), 16u);
  EXPECT_EQ(std::to_integer<int>(v6[0]), 128);
  EXPECT_EQ(std::to_integer<int>(v6[2]) | std::to_integer<int>(v6[3]), 0);
  EXPECT_EQ(std::to_integer<int>(v6[4]), 0xbe);
  EXPECT_EQ(std::to_integer<int>(v6[7]), 7);
}

TEST(IcmpEcho, ParsesAReplyAfterTheIpHeaderAndItsOptions) {
  auto r = parse_echo_reply(Family::ipv4, hex(kReply));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->source, *Ipv4Address::parse("203.0.113.50"));
  EXPECT_EQ(r->id, 0x1234);
  EXPECT_EQ(r->sequence, 1);
  r = parse_echo_reply(Family::ipv4, hex(kReplyWithOptions));
  ASSERT_TRUE(r) << to_string(r.error());
  EXPECT_EQ(r->sequence, 2);
}

TEST(IcmpEcho, EachBrokenFieldHasItsOwnReason) {
  auto with = [](std::size_t at, std::uint8_t value) {
    auto b = hex(kReply);
    b[at] = std::byte{value};
    return parse_echo_reply(Family::ipv4, b).error();
  };
  EXPECT_EQ(with(0, 0x65), EchoError::bad_version);
  EXPECT_EQ(with(0, 0x44), EchoError::bad_header_length);
  EXPECT_EQ(with(0, 0x4f), EchoError::bad_header_length);
  EXPECT_EQ(with(3, 0x40), EchoError::bad_length);
  EXPECT_EQ(with(3, 0x10), EchoError::bad_length);
  EXPECT_EQ(with(9, 17), EchoError::not_icmp);
  EXPECT_EQ(with(31, 0x73), EchoError::bad_checksum);
  EXPECT_EQ(parse_echo_reply(Family::ipv4, hex("450000200000000040011475cb007132c633640208000bf71234000170616972")).error(),
            EchoError::not_echo_reply);
}

TEST(IcmpEcho, EveryTruncatedPrefixIsAnError) {
  const auto full = hex(kReply);
  for (std::size_t n = 0; n < full.size(); ++n) EXPECT_FALSE(parse_echo_reply(Family::ipv4, std::span(full).first(n))) << n;
  auto v6 = echo_request(Family::ipv6, 1, 1);
  v6[0] = std::byte{129};
  for (std::size_t n = 0; n < 8; ++n) {
    EXPECT_EQ(parse_echo_reply(Family::ipv6, std::span(v6).first(n)).error(), EchoError::truncated) << n;
  }
}

TEST(IcmpEcho, Icmpv6ReplyIsTheBareMessage) {
  auto request = echo_request(Family::ipv6, 0xbeef, 7);
  EXPECT_EQ(parse_echo_reply(Family::ipv6, request).error(), EchoError::not_echo_reply);
  request[0] = std::byte{129};
  auto r = parse_echo_reply(Family::ipv6, request);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->id, 0xbeef);
  EXPECT_EQ(r->sequence, 7);
  request[1] = std::byte{1};  // code 1
  EXPECT_EQ(parse_echo_reply(Family::ipv6, request).error(), EchoError::not_echo_reply);
}

TEST(IcmpEcho, Names) {
  EXPECT_EQ(to_string(EchoError::truncated), "truncated");
  EXPECT_EQ(to_string(EchoError::not_echo_reply), "not_echo_reply");
}

}  // namespace
}  // namespace pairgate
