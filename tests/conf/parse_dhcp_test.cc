// conf/parse_dhcp.cc: the bounds of a reservation, and the relays of a
// subnet. What a reservation may hold is bounded like what a client may send
// (dhcp/lease.h): a hostname is a DNS name, a client identifier one option.
// Found by hostile testing: a reservation with a 64 KiB hostname crashed
// the daemon when its client was acknowledged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "conf/parser.h"

namespace pairgate::conf {
namespace {

std::string file(const std::string& reservation) {
  return "node: beagle\n"
         "dhcp:\n"
         "  subnets:\n"
         "    - interface: eth1\n"
         "      subnet: 198.51.100.0/24\n"
         "      pools: [198.51.100.20-198.51.100.99]\n"
         "      reservations:\n"
         "        - {" + reservation + ", address: 198.51.100.10}\n";
}

TEST(DhcpBounds, AReservationHostnameIsAtMost253Characters) {
  LoadResult ok = parse(file("hw_address: \"52:54:00:12:34:56\", hostname: " + std::string(253, 'h')), "ok.yaml");
  EXPECT_THAT(ok.errors, ::testing::IsEmpty()) << ok.report();
  LoadResult r = parse(file("hw_address: \"52:54:00:12:34:56\", hostname: " + std::string(70000, 'h')), "long.yaml");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].message, "hostname: at most 253 characters (a DNS name), got 70000");
  EXPECT_EQ(r.errors[0].line, 8);
}

TEST(DhcpBounds, AReservationClientIdIsAtMost255Bytes) {
  LoadResult ok = parse(file("client_id: \"" + std::string(255 * 2, 'a') + "\""), "ok.yaml");
  EXPECT_THAT(ok.errors, ::testing::IsEmpty()) << ok.report();
  LoadResult r = parse(file("client_id: \"" + std::string(256 * 2, 'a') + "\""), "long.yaml");
  EXPECT_FALSE(r.config.has_value());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0].message, "client_id: at most 255 bytes (one option's worth), got 256");
}

TEST(DhcpRelays, ASubnetMayNameItsRelays) {
  std::string text = file("hw_address: \"52:54:00:12:34:56\"");
  text.insert(text.find("      reservations:"), "      relays: [192.0.2.5, 192.0.2.6]\n");
  LoadResult r = parse(text, "relays.yaml");
  ASSERT_TRUE(r.config) << r.report();
  EXPECT_EQ(r.config->dhcp->subnets.at(0).relays,
            (std::vector<Ipv4Address>{*Ipv4Address::parse("192.0.2.5"), *Ipv4Address::parse("192.0.2.6")}));
  text.replace(text.find("192.0.2.6"), 9, "relay-b");
  LoadResult bad = parse(text, "relays.yaml");
  EXPECT_FALSE(bad.config);
}

}  // namespace
}  // namespace pairgate::conf
