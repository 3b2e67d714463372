// tunnel/rdnss: the RDNSS servers learned per interface, bounded.
#include "tunnel/rdnss.h"

#include <gtest/gtest.h>

#include <string>

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;

Ipv6Address server(unsigned n) { return *Ipv6Address::parse("2001:db8:53::" + std::to_string(n)); }

RdnssOption option(std::chrono::seconds lifetime, std::initializer_list<unsigned> servers) {
  RdnssOption o;
  o.lifetime = lifetime;
  for (unsigned n : servers) o.servers.push_back(server(n));
  return o;
}

std::vector<Ipv6Address> list(std::initializer_list<unsigned> servers) {
  std::vector<Ipv6Address> out;
  for (unsigned n : servers) out.push_back(server(n));
  return out;
}

const TimePoint t0{};

TEST(RdnssTable, KeepsAnAdvertsServersInItsOrder) {
  RdnssTable t;
  EXPECT_TRUE(t.update(2, {option(1800s, {1, 2})}, t0));
  EXPECT_EQ(t.servers(2, t0), list({1, 2}));
  EXPECT_TRUE(t.servers(3, t0).empty());
}

TEST(RdnssTable, HonoursLifetimesAndWithdrawals) {
  RdnssTable t;
  t.update(2, {option(60s, {1}), option(1800s, {2})}, t0);
  EXPECT_EQ(t.servers(2, t0 + 59s), list({1, 2}));
  EXPECT_EQ(t.servers(2, t0 + 60s), list({2})) << "server 1's lifetime is over";
  EXPECT_FALSE(t.update(2, {option(0s, {2})}, t0 + 61s)) << "lifetime 0 withdraws (RFC 8106 5.1)";
  EXPECT_TRUE(t.servers(2, t0 + 61s).empty());
  EXPECT_EQ(t.expired(), 1u);
  EXPECT_EQ(t.interfaces(), 0u) << "an interface with no server left is forgotten";
  t.update(2, {option(std::chrono::seconds(0xffffffff), {3})}, t0);
  EXPECT_EQ(t.servers(2, t0 + 24h * 300), list({3})) << "infinity";
}

TEST(RdnssTable, ARefreshMovesAServerToTheFrontAndExtendsIt) {
  RdnssTable t;
  t.update(2, {option(100s, {1, 2})}, t0);
  t.update(2, {option(100s, {2})}, t0 + 50s);
  EXPECT_EQ(t.servers(2, t0 + 99s), list({2, 1}));
  EXPECT_EQ(t.servers(2, t0 + 140s), list({2}));
}

// An on-link flood of adverts, each naming new servers, cannot grow the
// list: the newest kPerInterface stay, the rest are counted.
TEST(RdnssTable, AFloodKeepsTheNewestAndCountsTheRest) {
  RdnssTable t;
  for (unsigned n = 1; n <= 1000; ++n) t.update(2, {option(1800s, {n})}, t0 + std::chrono::seconds(n));
  const auto now = t0 + 1001s;
  EXPECT_EQ(t.servers(2, now), list({1000, 999, 998, 997, 996, 995, 994, 993}));
  EXPECT_EQ(t.dropped(), 1000u - RdnssTable::kPerInterface);
  // One advert with more servers than fit: its first ones (its preference) stay.
  RdnssTable u;
  u.update(2, {option(1800s, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})}, t0);
  EXPECT_EQ(u.servers(2, t0), list({1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(u.dropped(), 2u);
}

TEST(RdnssTable, AtMostSoManyInterfaces) {
  RdnssTable t;
  for (int i = 1; i <= static_cast<int>(RdnssTable::kInterfaces); ++i) EXPECT_TRUE(t.update(i, {option(100s, {1})}, t0));
  EXPECT_FALSE(t.update(100, {option(100s, {1, 2})}, t0));
  EXPECT_TRUE(t.servers(100, t0).empty());
  EXPECT_EQ(t.dropped(), 2u);
  // Once the others' servers expire, a new interface has room.
  EXPECT_TRUE(t.update(100, {option(100s, {1})}, t0 + 100s));
  EXPECT_EQ(t.interfaces(), 1u);
}

}  // namespace
}  // namespace pairgate::tunnel
