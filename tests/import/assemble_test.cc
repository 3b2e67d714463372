// import/assemble.cc: the interface of each DHCP subnet, rules found in both
// rules.v4 and rules.v6, and a subnet no interface can be found for.
#include "import/assemble.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/parser.h"
#include "import/dhcpd.h"
#include "import/iptables.h"
#include "import/keepalived.h"
#include "tests/import/support.h"

namespace pairgate::import {
namespace {

Parts with_dhcpd(const char* text) {
  Parts p;
  p.node = "r1";
  p.dhcpd = import_dhcpd(text, "dhcpd.conf");
  p.dhcpd_file = "dhcpd.conf";
  return p;
}

const char* kTwoSubnets =
    "subnet 198.51.100.0 netmask 255.255.255.0 {\n range 198.51.100.10 198.51.100.20;\n}\n"
    "subnet 203.0.113.0 netmask 255.255.255.0 {\n range 203.0.113.10 203.0.113.20;\n}\n";

TEST(Assemble, NetplanThenLiveAddressesThenInterfacesv4) {
  Parts p = with_dhcpd(kTwoSubnets);
  Partial netplan;
  netplan.interface_addresses["lan0"] = {*IpPrefix::parse("198.51.100.2/24")};
  p.netplan.push_back(netplan);
  p.live_addresses["lan1"] = {*IpPrefix::parse("203.0.113.2/24")};
  auto a = assemble(std::move(p));
  EXPECT_EQ(a.config.dhcp->subnets[0].interface, "lan0");
  EXPECT_EQ(a.config.dhcp->subnets[1].interface, "lan1");
  EXPECT_TRUE(a.usable);

  Parts q = with_dhcpd("subnet 198.51.100.0 netmask 255.255.255.0 {\n range 198.51.100.10 198.51.100.20;\n}\n");
  q.dhcpd_defaults = Partial{};
  q.dhcpd_defaults->dhcp_interfaces = {"eth7"};
  EXPECT_EQ(assemble(std::move(q)).config.dhcp->subnets[0].interface, "eth7");
}

TEST(Assemble, TheVrrpInstanceOnTheSubnetNamesItsInterface) {
  Parts p = with_dhcpd(kTwoSubnets);
  MapSources k(std::map<std::string, std::string>{{"/k", "vrrp_instance L {\n interface lan5\n virtual_router_id 1\n virtual_ipaddress {\n"
                       "  203.0.113.1/24\n }\n}\n"}});
  p.keepalived = import_keepalived(k, "/k", "r1");
  auto a = assemble(std::move(p));
  EXPECT_EQ(a.config.dhcp->subnets[1].interface, "lan5");
  // None for the other: a placeholder, a warning and a comment.
  EXPECT_EQ(a.config.dhcp->subnets[0].interface, kUnknownInterface);
  EXPECT_THAT(a.warnings, HasWarning("dhcpd.conf: warning: subnet 198.51.100.0/24", "set dhcp.subnets[].interface"));
  // It still passes --check, and says where to look.
  const std::string text = conf::print(a.config, a.print);
  EXPECT_TRUE(conf::parse(text, "x").config) << text;
  EXPECT_THAT(text, ::testing::HasSubstr("interface: SET-ME  # set the interface"));
}

TEST(Assemble, ARuleInBothFilesIsOneRuleForBothFamilies) {
  const std::string rules = "*filter\n:INPUT ACCEPT [0:0]\n:W - [0:0]\n-A INPUT -i wan0 -j W\n"
                            "-A W -p tcp -m tcp --dport 22 -j ACCEPT\n-A W -j DROP\nCOMMIT\n";
  Parts p;
  p.node = "r1";
  p.rules_v4 = import_iptables(rules, "rules.v4", Family::ipv4);
  p.rules_v6 = import_iptables(rules, "rules.v6", Family::ipv6);
  auto a = assemble(std::move(p));
  ASSERT_TRUE(a.config.firewall);
  ASSERT_EQ(a.config.firewall->input.size(), 1u);
  EXPECT_FALSE(a.config.firewall->input[0].family);
  EXPECT_EQ(a.print.comments["firewall.input[0]"], "rules.v4:5; rules.v6:5");
  EXPECT_FALSE(a.config.firewall->log_drops);
}

TEST(Assemble, NothingUsable) {
  Parts p;
  p.node = "r1";
  p.netplan.push_back(Partial{});
  EXPECT_FALSE(assemble(std::move(p)).usable);
}

}  // namespace
}  // namespace pairgate::import

namespace pairgate::import {
namespace {

// What a source gives beyond the loader's limits is cut, with a warning, so
// that the result passes --check (scripts/bench/import-scale found 2,000
// firewall rules carried over whole: --check refused the result).
TEST(Assemble, ListsAreCutToTheLoadersLimits) {
  std::string rules = "*filter\n:INPUT ACCEPT [0:0]\n:W - [0:0]\n-A INPUT -i wan0 -j W\n";
  for (int i = 1; i <= 1100; ++i) rules += "-A W -p tcp -m tcp --dport " + std::to_string(i) + " -j ACCEPT\n";
  rules += "-A W -j DROP\nCOMMIT\n";
  Parts p;
  p.node = "r1";
  p.rules_v4 = import_iptables(rules, "rules.v4", Family::ipv4);
  auto a = assemble(std::move(p));
  EXPECT_EQ(a.config.firewall->input.size(), 1024u);
  EXPECT_THAT(a.warnings, HasWarning("rules.v4/rules.v6: warning: firewall.input: 1100 entries", "pairgate takes 1024"));
  EXPECT_TRUE(conf::parse(conf::print(a.config, a.print), "x").config);
}

}  // namespace
}  // namespace pairgate::import
