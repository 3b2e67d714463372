#include "tunnel/echo.h"

#include <gtest/gtest.h>

#include "core/byte_io.h"
#include "tests/support/hex.h"

namespace pairgate::tunnel {
namespace {

using testing::hex;

TEST(Echo, RequestCarriesIdentifierSequenceAndChecksum) {
  auto v4 = build_echo_request(Family::ipv4, 0xbeef, 7);
  ASSERT_EQ(v4.size(), 16u);
  EXPECT_EQ(std::to_integer<int>(v4[0]), 8);
  EXPECT_EQ(internet_checksum(v4), 0);
  auto v6 = build_echo_request(Family::ipv6, 0xbeef, 7);
  EXPECT_EQ(std::to_integer<int>(v6[0]), 128);
  EXPECT_EQ(std::to_integer<int>(v6[4]), 0xbe);
  EXPECT_EQ(std::to_integer<int>(v6[7]), 7);
}

// An IPv4 echo reply as a raw socket reads it: 20-byte header, then ICMP.
std::vector<std::byte> v4_reply() {
  auto icmp = build_echo_request(Family::ipv4, 0xbeef, 7);
  icmp[0] = std::byte{0};
  icmp[2] = icmp[3] = std::byte{0};
  ByteWriter w;
  w.bytes(icmp);
  auto sum = internet_checksum(w.data());
  icmp[2] = static_cast<std::byte>(sum >> 8);
  icmp[3] = static_cast<std::byte>(sum);
  auto ip = hex("4500001c00004000" "3f01" "0000" "cb007101" "c0000202");
  ip[3] = static_cast<std::byte>(20 + icmp.size());
  ip.insert(ip.end(), icmp.begin(), icmp.end());
  return ip;
}

TEST(Echo, ParsesAnIpv4ReplyWithItsHeader) {
  auto r = parse_echo_reply(Family::ipv4, v4_reply());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->identifier, 0xbeef);
  EXPECT_EQ(r->sequence, 7);
}

TEST(Echo, RejectsWhatIsNotAGoodReply) {
  auto bad_sum = v4_reply();
  bad_sum[30] ^= std::byte{1};
  EXPECT_FALSE(parse_echo_reply(Family::ipv4, bad_sum));
  auto request = build_echo_request(Family::ipv6, 1, 1);
  EXPECT_FALSE(parse_echo_reply(Family::ipv6, request));
  request[0] = std::byte{129};
  EXPECT_TRUE(parse_echo_reply(Family::ipv6, request));
  auto m = v4_reply();
  for (std::size_t n = 0; n < m.size(); ++n) EXPECT_FALSE(parse_echo_reply(Family::ipv4, std::span(m).first(n))) << n;
}

}  // namespace
}  // namespace pairgate::tunnel
