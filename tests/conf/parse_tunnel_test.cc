// conf/parse_tunnel: the tunnel's ipv4_address (RFC 6333 §5.7).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/diagnostics.h"
#include "conf/parser.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

LoadResult with_tunnel(std::string_view extra) {
  std::string text = R"(node: b4
tunnels:
  - name: ip6tnl1
    wan_interface: eth0
    aftr: 2001:db8:a::1
)";
  if (!extra.empty()) text += "    " + std::string(extra) + "\n";
  return parse(text, "t.yaml");
}

std::vector<std::string> headlines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(headline(d));
  return out;
}

TEST(ParseTunnel, TheB4AddressDefaultsTo192_0_0_2Slash29) {
  auto r = with_tunnel("");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.config->tunnels.at(0).ipv4_address, IpPrefix::parse("192.0.0.2/29"));
}

TEST(ParseTunnel, TheB4AddressCanBeChosenOrNone) {
  auto r = with_tunnel("ipv4_address: 192.0.0.3/29");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.config->tunnels.at(0).ipv4_address, IpPrefix::parse("192.0.0.3/29"));
  r = with_tunnel("ipv4_address: 198.51.100.7/32");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.config->tunnels.at(0).ipv4_address, IpPrefix::parse("198.51.100.7/32"));
  r = with_tunnel("ipv4_address: none");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.config->tunnels.at(0).ipv4_address, std::nullopt);
}

TEST(ParseTunnel, TheB4AddressMustBeAnIpv4HostAddressWithItsLength) {
  EXPECT_THAT(headlines(with_tunnel("ipv4_address: 192.0.0.0/29")),
              ElementsAre("t.yaml:6:19: error: ipv4_address: 192.0.0.0/29 is the network's own or its broadcast "
                          "address, not a host's"));
  EXPECT_THAT(headlines(with_tunnel("ipv4_address: 192.0.0.7/29")),
              ElementsAre("t.yaml:6:19: error: ipv4_address: 192.0.0.7/29 is the network's own or its broadcast "
                          "address, not a host's"));
  EXPECT_THAT(headlines(with_tunnel("ipv4_address: 2001:db8::2/64")),
              ElementsAre("t.yaml:6:19: error: ipv4_address: expected an IPv4 address with its length "
                          "(192.0.0.2/29) or none, got 2001:db8::2/64"));
  EXPECT_EQ(with_tunnel("ipv4_address: 192.0.0.2").errors.size(), 1u) << "the length is needed";
}

}  // namespace
}  // namespace pairgate::conf
