#include "tunnel/resolvers.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"

namespace pairgate::tunnel {
namespace {

using testing::hex;

TEST(Rdnss, ReadsServersAndLifetimeAmongOtherOptions) {
  // Source link-layer address (1), then RDNSS (25) with two servers,
  // lifetime 1800 s, then a prefix information option (3, 4 units).
  auto opts = hex("0101525400123456"
                  "1905" "0000" "00000708" "20010db8000100000000000000000001" "20010db8000100000000000000000002"
                  "0304" "40c0" "00278d00" "00093a80" "00000000" "20010db8000100000000000000000000");
  auto r = parse_rdnss(opts);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].lifetime, std::chrono::seconds(1800));
  ASSERT_EQ(r[0].servers.size(), 2u);
  EXPECT_EQ(r[0].servers[0].to_string(), "2001:db8:1::1");
  EXPECT_EQ(r[0].servers[1].to_string(), "2001:db8:1::2");
}

TEST(Rdnss, StopsAtMalformedOptions) {
  EXPECT_TRUE(parse_rdnss(hex("1900")).empty()) << "zero length";
  EXPECT_TRUE(parse_rdnss(hex("1903" "0000" "00000708" "20010db8")).empty()) << "runs past the end";
  EXPECT_TRUE(parse_rdnss(hex("1902" "0000" "00000708" "0000000000000000")).empty()) << "too short: ignored";
  EXPECT_TRUE(parse_rdnss({}).empty());
}

TEST(Rdnss, EveryTruncatedPrefixGivesNoMoreThanTheWhole) {
  auto opts = hex("1903" "0000" "00000708" "20010db8000100000000000000000001");
  for (std::size_t n = 0; n < opts.size(); ++n) EXPECT_TRUE(parse_rdnss(std::span(opts).first(n)).empty()) << n;
  EXPECT_EQ(parse_rdnss(opts).size(), 1u);
}

TEST(ResolvConf, ReadsNameserverLinesOnly) {
  auto r = parse_resolv_conf(
      "# generated\n"
      "search example.com\n"
      "nameserver 192.0.2.53\n"
      "  nameserver\t2001:db8::53  # the v6 one\n"
      "nameserver fe80::1%enp3s0\n"
      "nameserver not-an-address\n"
      "nameservers 192.0.2.1\n"
      ";nameserver 192.0.2.2\n"
      "nameserver 198.51.100.53;comment\r\n"
      "nameserver");
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].to_string(), "192.0.2.53");
  EXPECT_EQ(r[1].to_string(), "2001:db8::53");
  EXPECT_EQ(r[2].to_string(), "fe80::1");
  EXPECT_EQ(r[3].to_string(), "198.51.100.53");
}

}  // namespace
}  // namespace pairgate::tunnel
