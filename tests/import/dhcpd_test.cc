// import/dhcpd.cc: each statement, scopes, hosts, and broken input with its line.
#include "import/dhcpd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/import/support.h"

namespace pairgate::import {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Ipv4Address v4(std::string_view s) { return *Ipv4Address::parse(s); }
Ipv4Range range(std::string_view s) { return *Ipv4Range::parse(s); }

std::vector<Ipv4Range> pools(const conf::DhcpSubnet& s) {
  std::vector<Ipv4Range> out;
  for (const auto& p : s.pools) out.push_back(p.range);
  return out;
}

TEST(Dhcpd, GlobalAndSubnetStatements) {
  auto p = import_dhcpd(R"(# a comment
option domain-name-servers 198.51.100.53, 198.51.100.54;
option domain-name "example.org";
default-lease-time 600;
max-lease-time 7200;
ddns-update-style none;
ping-check false;

subnet 198.51.100.0 netmask 255.255.255.0 {
  range 198.51.100.20 198.51.100.99;
  option routers 198.51.100.1;
  option ntp-servers 198.51.100.123;
  option broadcast-address 198.51.100.255;
  option interface-mtu 1400;
  max-lease-time 3600;
}
)", "dhcpd.conf");
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  ASSERT_TRUE(p.config.dhcp);
  ASSERT_EQ(p.config.dhcp->subnets.size(), 1u);
  const auto& s = p.config.dhcp->subnets[0];
  EXPECT_EQ(s.subnet, *IpPrefix::parse("198.51.100.0/24"));
  EXPECT_THAT(pools(s), ElementsAre(range("198.51.100.20-198.51.100.99")));
  EXPECT_EQ(s.lease_time, 600s);
  EXPECT_EQ(s.max_lease_time, 3600s);
  EXPECT_EQ(s.conflict_check, conf::ConflictCheck::none);
  EXPECT_THAT(s.options.routers, ElementsAre(v4("198.51.100.1")));
  EXPECT_THAT(s.options.domain_name_servers, ElementsAre(v4("198.51.100.53"), v4("198.51.100.54")));
  EXPECT_EQ(s.options.domain_name, "example.org");
  EXPECT_THAT(s.options.ntp_servers, ElementsAre(v4("198.51.100.123")));
  EXPECT_EQ(s.options.broadcast_address, v4("198.51.100.255"));
  EXPECT_EQ(s.options.interface_mtu, 1400u);
  EXPECT_TRUE(s.interface.empty());  // assemble.h finds it
}

TEST(Dhcpd, SharedNetworkPoolGroupAndHosts) {
  auto p = import_dhcpd(R"(shared-network lan {
  subnet 198.51.100.0 netmask 255.255.255.128 {
    pool { range 198.51.100.10 198.51.100.50; }
  }
  subnet 198.51.100.128 netmask 255.255.255.128 {
    range 198.51.100.200;
  }
}
group {
  host printer { hardware ethernet 52:54:00:12:34:56; fixed-address 198.51.100.30; }
  host phone {
    option dhcp-client-identifier 01:52:54:00:aa:bb:cc;
    fixed-address 198.51.100.130;
    option host-name "desk-phone";
  }
}
)", "dhcpd.conf");
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  ASSERT_TRUE(p.config.dhcp);
  const auto& a = p.config.dhcp->subnets.at(0);
  const auto& b = p.config.dhcp->subnets.at(1);
  // The reservation splits the range around it.
  EXPECT_THAT(pools(a), ElementsAre(range("198.51.100.10-198.51.100.29"), range("198.51.100.31-198.51.100.50")));
  ASSERT_EQ(a.reservations.size(), 1u);
  EXPECT_EQ(a.reservations[0].hw_address, MacAddress::parse("52:54:00:12:34:56"));
  EXPECT_EQ(a.reservations[0].hostname, "printer");
  EXPECT_THAT(pools(b), ElementsAre(range("198.51.100.200-198.51.100.200")));
  ASSERT_EQ(b.reservations.size(), 1u);
  EXPECT_THAT(b.reservations[0].client_id, ElementsAre(1, 0x52, 0x54, 0, 0xaa, 0xbb, 0xcc));
  EXPECT_EQ(b.reservations[0].hostname, "desk-phone");
  EXPECT_TRUE(p.comments.contains("dhcp.subnets[198.51.100.0/25].pools"));
}

struct Case {
  const char* text;
  const char* prefix;
  const char* says;
};

class DhcpdWarns : public ::testing::TestWithParam<Case> {};

TEST_P(DhcpdWarns, WithFileAndLine) {
  auto p = import_dhcpd(GetParam().text, "dhcpd.conf");
  EXPECT_THAT(p.warnings, HasWarning(GetParam().prefix, GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    NotCarried, DhcpdWarns,
    ::testing::Values(
        Case{"authoritative;\n", "dhcpd.conf:1: warning: ", "NAKs only"},
        Case{"log-facility local7;\n", "dhcpd.conf:1: warning: ", "journal"},
        Case{"\nddns-update-style interim;\n", "dhcpd.conf:2: warning: ", "no DNS updates"},
        Case{"failover peer \"p\" { primary; }\n", "dhcpd.conf:1: warning: ", "splits the range"},
        Case{"option domain-name-servers ns1.example.org;\n", "dhcpd.conf:1: warning: ", "not an IPv4 address"},
        Case{"option tftp-server-name \"x\";\n", "dhcpd.conf:1: warning: ", "options.custom"},
        Case{"include \"/etc/dhcp/more.conf\";\n", "dhcpd.conf:1: warning: ", "include"},
        Case{"subnet 198.51.100.0 netmask 255.255.255.0 {\n next-server 198.51.100.2;\n range 198.51.100.5 198.51.100.6;\n}\n",
             "dhcpd.conf:2: warning: ", "network boot"},
        Case{"subnet 198.51.100.0 netmask 255.255.255.0 {\n}\n", "dhcpd.conf:1: warning: ", "no range and no host"},
        Case{"host h { hardware ethernet 52:54:00:00:00:01; }\n", "dhcpd.conf:1: warning: ", "no fixed-address"},
        Case{"host h { hardware ethernet 52:54:00:00:00:01; fixed-address 192.0.2.1; }\n", "dhcpd.conf:1: warning: ",
             "is in no subnet"},
        Case{"subnet 198.51.100.0 netmask 255.255.255.0 {\n range dynamic-bootp 198.51.100.5 198.51.100.6;\n}\n",
             "dhcpd.conf:2: warning: ", "DHCP clients only"}));

INSTANTIATE_TEST_SUITE_P(
    Broken, DhcpdWarns,
    ::testing::Values(
        Case{"subnet 198.51.100.0 netmask 255.0.255.0 {\n}\n", "dhcpd.conf:1: warning: ", "expected 'subnet ADDRESS"},
        Case{"subnet 198.51.100.1 netmask 255.255.255.0 {\n}\n", "dhcpd.conf:1: warning: ", "not a network"},
        Case{"subnet 198.51.100.0 netmask 255.255.255.0 {\n range 192.0.2.1 192.0.2.9;\n}\n", "dhcpd.conf:2: warning: ",
             "not inside subnet"},
        Case{"subnet 198.51.100.0 netmask 255.255.255.0 {\n range 198.51.100.5 198.51.100.9\n}\n",
             "dhcpd.conf:2: warning: ", "no ';' before '}'"},
        Case{"default-lease-time soon;\n", "dhcpd.conf:1: warning: ", "expected seconds"},
        Case{"subnet 198.51.100.0 netmask 255.255.255.0 {\n", "dhcpd.conf:1: warning: ", "not closed"},
        Case{"}\n", "dhcpd.conf:1: warning: ", "without a block"},
        Case{"option domain-name \"unclosed;\n", "dhcpd.conf:1: warning: ", "not closed"},
        Case{"max-lease-time 60", "dhcpd.conf:1: warning: ", "no ';' at the end"},
        Case{"subnet 198.51.100.0 netmask 255.255.255.0 {\n range 198.51.100.0;\n}\n", "dhcpd.conf:2: warning: ",
             "only the network or broadcast address"}));

TEST(Dhcpd, OverlapsAndDuplicatesAreRefused) {
  auto p = import_dhcpd("subnet 198.51.100.0 netmask 255.255.255.0 {\n range 198.51.100.5 198.51.100.9;\n"
                        " range 198.51.100.8 198.51.100.20;\n}\nsubnet 198.51.100.0 netmask 255.255.255.128 {\n}\n",
                        "d");
  EXPECT_THAT(p.warnings, HasWarning("d:3: warning: ", "overlaps"));
  EXPECT_THAT(p.warnings, HasWarning("d:5: warning: ", "overlaps"));
  ASSERT_TRUE(p.config.dhcp);
  EXPECT_EQ(p.config.dhcp->subnets.size(), 1u);
}

}  // namespace
}  // namespace pairgate::import
