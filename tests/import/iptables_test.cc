// import/iptables.cc: the WAN chains, other programs' rules, and what cannot be carried over.
#include "import/iptables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/import/support.h"

namespace pairgate::import {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string filter(const std::string& wan_rules, const std::string& extra = "") {
  return "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:WAN_LOCAL - [0:0]\n" + extra +
         "-A INPUT -i eth0 -j WAN_LOCAL\n"
         "-A WAN_LOCAL -m state --state RELATED,ESTABLISHED -j RETURN\n"
         "-A WAN_LOCAL -m state --state INVALID -j DROP\n" +
         wan_rules +
         "-A WAN_LOCAL -j LOG --log-prefix \"[WAN_LOCAL-default-D]\"\n"
         "-A WAN_LOCAL -j DROP\nCOMMIT\n";
}

TEST(Iptables, TheWanChainBecomesInputRules) {
  auto p = import_iptables(filter("-A WAN_LOCAL -s 192.0.2.0/24 -p icmp -m comment --comment WAN-30 -j ACCEPT\n"
                                  "-A WAN_LOCAL -p tcp -m tcp --dport 22 -j RETURN\n"
                                  "-A WAN_LOCAL -p udp -m multiport --dports 500,4500 -j ACCEPT\n"),
                           "rules.v4", Family::ipv4);
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  ASSERT_TRUE(p.config.firewall);
  EXPECT_THAT(p.wan_interfaces, ElementsAre("eth0"));
  EXPECT_TRUE(p.config.firewall->log_drops);
  const auto& in = p.config.firewall->input;
  ASSERT_EQ(in.size(), 4u);
  EXPECT_EQ(in[0].from, IpPrefix::parse("192.0.2.0/24"));
  EXPECT_EQ(in[0].proto, conf::Proto::icmp);
  EXPECT_FALSE(in[0].family);  // implied by from and proto
  EXPECT_EQ(in[1].proto, conf::Proto::tcp);
  EXPECT_EQ(in[1].dport, 22);
  EXPECT_EQ(in[1].family, Family::ipv4);
  EXPECT_EQ(in[2].dport, 500);
  EXPECT_EQ(in[3].dport, 4500);
  EXPECT_THAT(p.input_notes.at(0), ::testing::HasSubstr("rules.v4:9 WAN-30"));
}

TEST(Iptables, ForwardChainsAndProtocolNames) {
  auto p = import_iptables("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:WAN_IN - [0:0]\n"
                           "-A FORWARD -i eth0 -j WAN_IN\n"
                           "-A WAN_IN -p ipv6-icmp -j RETURN\n-A WAN_IN -p ipip -j RETURN\n-A WAN_IN -p vrrp -j ACCEPT\n"
                           "-A WAN_IN -j DROP\nCOMMIT\n",
                           "rules.v6", Family::ipv6);
  ASSERT_TRUE(p.config.firewall);
  const auto& fw = p.config.firewall->forward;
  ASSERT_EQ(fw.size(), 3u);
  EXPECT_EQ(fw[0].proto, conf::Proto::ipv6_icmp);
  EXPECT_EQ(fw[1].proto, conf::Proto::ipip);
  EXPECT_EQ(fw[1].family, Family::ipv6);
  EXPECT_THAT(p.forward_notes.at(1), ::testing::HasSubstr("protocol 94"));
  EXPECT_FALSE(p.config.firewall->log_drops);
}

TEST(Iptables, OtherProgramsRulesAreLeftToThemInOneWarningEach) {
  auto p = import_iptables(filter("", ":DOCKER - [0:0]\n-A FORWARD -o docker0 -j DOCKER\n"
                                      "-A INPUT -i lxdbr0 -p udp --dport 67 -m comment --comment \"generated for LXD network lxdbr0\" -j ACCEPT\n"
                                      "-A INPUT -i lxdbr0 -p tcp --dport 53 -m comment --comment \"generated for LXD network lxdbr0\" -j ACCEPT\n"),
                           "r", Family::ipv4);
  EXPECT_THAT(p.warnings, HasWarning("r:6: warning: 1 rules and the chains of Docker", "left to Docker"));
  EXPECT_THAT(p.warnings, HasWarning("r:8: warning: 2 rules and the chains of LXD", "left to LXD"));
  EXPECT_EQ(p.warnings.size(), 2u) << ::testing::PrintToString(lines_of(p.warnings));
}

struct Case {
  const char* rule;  // in WAN_LOCAL, line 9
  const char* says;
};
class IptablesNotCarried : public ::testing::TestWithParam<Case> {};
TEST_P(IptablesNotCarried, WarnsAtTheRulesLine) {
  auto p = import_iptables(filter(std::string(GetParam().rule) + "\n"), "rules.v4", Family::ipv4);
  EXPECT_THAT(p.warnings, HasWarning("rules.v4:9: warning: ", GetParam().says));
  EXPECT_TRUE(p.config.firewall->input.empty());
}
INSTANTIATE_TEST_SUITE_P(
    Rules, IptablesNotCarried,
    ::testing::Values(Case{"-A WAN_LOCAL -p icmp -m icmp --icmp-type 8 -j ACCEPT", "not --icmp-type 8"},
                      Case{"-A WAN_LOCAL -d 192.0.2.1/32 -j ACCEPT", "not -d 192.0.2.1/32"},
                      Case{"-A WAN_LOCAL ! -s 192.0.2.0/24 -j ACCEPT", "'!'"},
                      Case{"-A WAN_LOCAL -p tcp --dport 1000:2000 -j ACCEPT", "--dport 1000:2000"},
                      Case{"-A WAN_LOCAL -m limit --limit 5/min -j ACCEPT", "-m limit"},
                      Case{"-A WAN_LOCAL -s 2001:db8::/32 -j ACCEPT", "-s 2001:db8::/32"},
                      Case{"-A WAN_LOCAL -p sctp -j ACCEPT", "-p sctp"},
                      Case{"-A WAN_LOCAL -s 192.0.2.9 -j DROP", "what no rule accepts is dropped"},
                      Case{"-A WAN_LOCAL -j OTHER_CHAIN", "-j OTHER_CHAIN"}));

TEST(Iptables, WhatCannotBeCarriedOverOutsideTheWanChains) {
  auto p = import_iptables("*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:LONELY - [0:0]\n"
                           "-A INPUT -i eth1 -j ACCEPT\nCOMMIT\n*nat\n:POSTROUTING ACCEPT [0:0]\n"
                           "-A POSTROUTING -o eth0 -j MASQUERADE\nCOMMIT\n",
                           "r", Family::ipv4);
  EXPECT_THAT(p.warnings, HasWarning("r:2: warning: INPUT policy DROP", "accepts the rest"));
  EXPECT_THAT(p.warnings, HasWarning("r:4: warning: chain LONELY", "never jumped to"));
  EXPECT_THAT(p.warnings, HasWarning("r:5: warning: -A INPUT", "WAN interfaces only"));
  EXPECT_THAT(p.warnings, HasWarning("r:9: warning: -A POSTROUTING", "no NAT"));
  EXPECT_FALSE(p.usable);
}

TEST(Iptables, AChainWithoutAFinalDropAndRulesAfterIt) {
  auto open = import_iptables("*filter\n:INPUT ACCEPT [0:0]\n:W - [0:0]\n-A INPUT -i eth0 -j W\n"
                              "-A W -p icmp -j ACCEPT\nCOMMIT\n", "r", Family::ipv4);
  EXPECT_THAT(open.warnings, HasWarning("r:3: warning: W ends without a drop", "pairgate drops it"));
  auto after = import_iptables(filter("-A WAN_LOCAL -j DROP\n-A WAN_LOCAL -p icmp -j ACCEPT\n"), "r", Family::ipv4);
  EXPECT_THAT(after.warnings, HasWarning("r:10: warning: ", "never reached"));
}

struct Broken {
  const char* text;
  const char* prefix;
  const char* says;
};
class IptablesBroken : public ::testing::TestWithParam<Broken> {};
TEST_P(IptablesBroken, WarnsWithTheLine) {
  auto p = import_iptables(GetParam().text, "r", Family::ipv4);
  EXPECT_THAT(p.warnings, HasWarning(GetParam().prefix, GetParam().says));
}
INSTANTIATE_TEST_SUITE_P(
    Input, IptablesBroken,
    ::testing::Values(Broken{"-A INPUT -j ACCEPT\n", "r:1: warning: ", "outside a table"},
                      Broken{"*filter\n:INPUT\n", "r:2: warning: ", "without a policy"},
                      Broken{"*filter\n-A INPUT -m comment --comment \"open -j ACCEPT\n", "r:2: warning: ", "not closed"},
                      Broken{"*filter\nhello\n", "r:2: warning: ", "not iptables-save output"},
                      Broken{"*filter\n-A\n", "r:2: warning: ", "without a chain"}));

}  // namespace
}  // namespace pairgate::import
