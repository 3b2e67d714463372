// import/defaults.cc: /etc/default/isc-dhcp-server and /etc/default/ipoe.
#include "import/defaults.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/import/support.h"

namespace pairgate::import {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Defaults, ShellAssignments) {
  Partial p;
  auto v = read_assignments("# c\nA=1\nexport B=\"two words\"  # c\nC='x'\nA=3\n", "f", p);
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  EXPECT_EQ(v["A"].value, "3");
  EXPECT_EQ(v["A"].line, 5);
  EXPECT_EQ(v["B"].value, "two words");
  EXPECT_EQ(v["C"].value, "x");
  Partial q;
  read_assignments("not an assignment\nD=\"open\nE=$(hostname)\n", "f", q);
  EXPECT_THAT(q.warnings, HasWarning("f:1: warning: ", "not a shell assignment"));
  EXPECT_THAT(q.warnings, HasWarning("f:2: warning: ", "not closed"));
  EXPECT_THAT(q.warnings, HasWarning("f:3: warning: ", "uses the shell"));
}

TEST(Defaults, IscDhcpServer) {
  auto p = import_dhcpd_defaults("INTERFACESv4=\"eth1 eth2\"\nINTERFACESv6=\"eth1\"\nDHCPDv4_CONF=/etc/dhcp/lan.conf\n"
                                 "OPTIONS=\"-q\"\n", "isc");
  EXPECT_THAT(p.dhcp_interfaces, ElementsAre("eth1", "eth2"));
  EXPECT_EQ(p.dhcpd_conf, "/etc/dhcp/lan.conf");
  EXPECT_THAT(p.warnings, HasWarning("isc:2: warning: INTERFACESv6", "DHCPv4 only"));
  EXPECT_THAT(p.warnings, HasWarning("isc:4: warning: OPTIONS", "not carried over"));
  auto old = import_dhcpd_defaults("INTERFACES=\"eth0\"\n", "isc");
  EXPECT_THAT(old.dhcp_interfaces, ElementsAre("eth0"));
}

TEST(Defaults, TheSeedsIpoe) {
  auto p = import_ipoe("# tunnel device name\nTUNNEL_NAME=ip6tnl1\n\nWAN_INTERFACE=enp0s25\n"
                       "GATEWAY_ADDR=2404:8e01::feed:100\n", "/etc/default/ipoe");
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  ASSERT_EQ(p.config.tunnels.size(), 1u);
  const auto& t = p.config.tunnels[0];
  EXPECT_EQ(t.name, "ip6tnl1");
  EXPECT_EQ(t.wan_interface, "enp0s25");
  EXPECT_THAT(t.aftr_addresses, ElementsAre(*Ipv6Address::parse("2404:8e01::feed:100")));
  EXPECT_FALSE(t.local);
  EXPECT_TRUE(t.default_route);
  EXPECT_THAT(p.comments.at("tunnels[ip6tnl1].aftr"), ::testing::HasSubstr("aftr: gw.transix.jp"));
}

TEST(Defaults, AnAftrThatIsNotTransixGetsNoSuggestion) {
  auto p = import_ipoe("TUNNEL_NAME=t\nWAN_INTERFACE=eth0\nGATEWAY_ADDR=2001:db8::1\n", "ipoe");
  EXPECT_FALSE(p.comments.contains("tunnels[t].aftr"));
}

struct Case {
  const char* text;
  const char* prefix;
  const char* says;
};
class IpoeBroken : public ::testing::TestWithParam<Case> {};
TEST_P(IpoeBroken, NoTunnelAndAWarning) {
  auto p = import_ipoe(GetParam().text, "ipoe");
  EXPECT_FALSE(p.usable);
  EXPECT_THAT(p.warnings, HasWarning(GetParam().prefix, GetParam().says));
}
INSTANTIATE_TEST_SUITE_P(
    Input, IpoeBroken,
    ::testing::Values(Case{"WAN_INTERFACE=eth0\nGATEWAY_ADDR=2001:db8::1\n", "ipoe: warning: TUNNEL_NAME", "not set"},
                      Case{"TUNNEL_NAME=t\nWAN_INTERFACE=eth0\nGATEWAY_ADDR=192.0.2.1\n", "ipoe:3: warning: ",
                           "not a global IPv6 address"},
                      Case{"TUNNEL_NAME=a/b\nWAN_INTERFACE=eth0\nGATEWAY_ADDR=2001:db8::1\n", "ipoe:1: warning: ",
                           "not an interface name"},
                      Case{"TUNNEL_NAME=t\nWAN_INTERFACE=\nGATEWAY_ADDR=2001:db8::1\n", "ipoe: warning: WAN_INTERFACE",
                           "not set"}));

}  // namespace
}  // namespace pairgate::import
