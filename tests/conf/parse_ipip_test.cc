// conf/parse_ipip: type ipip's keys (fixed IPv4 address over IPv6).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>

#include "conf/diagnostics.h"
#include "conf/parser.h"
#include "conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

LoadResult with_ipip(std::string_view extra, bool address = true) {
  std::string text = R"(node: ce
tunnels:
  - name: ipip0
    type: ipip
    wan_interface: eth0
    remote: 2001:db8:ff::1
)";
  if (address) text += "    ipv4_address: 203.0.113.10\n";
  if (!extra.empty()) text += "    " + std::string(extra) + "\n";
  return parse(text, "t.yaml");
}

std::vector<std::string> headlines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(headline(d));
  return out;
}

TEST(ParseIpip, TheFixedAddressGoesOnTheLinkAsA32AndTheRemoteIsTheOtherEnd) {
  auto r = with_ipip("");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  const Tunnel& t = r.config->tunnels.at(0);
  EXPECT_EQ(t.type, "ipip");
  ASSERT_TRUE(t.ipip);
  EXPECT_EQ(t.ipv4_address, IpPrefix::parse("203.0.113.10/32"));
  EXPECT_EQ(t.ipip->block, IpPrefix::parse("203.0.113.10/32"));
  EXPECT_EQ(t.aftr_addresses, std::vector{*Ipv6Address::parse("2001:db8:ff::1")});
  EXPECT_EQ(t.ipip->snat, Snat::automatic);
  EXPECT_FALSE(t.ipip->interface_id);
  EXPECT_TRUE(t.ipip->update_url.empty());
}

TEST(ParseIpip, ARoutedBlockKeepsItsLengthForSnatAndTheAddressForTheLink) {
  auto r = with_ipip("snat: false", false);
  ASSERT_FALSE(r.errors.empty());
  r = parse(R"(node: ce
tunnels:
  - name: ipip0
    type: ipip
    wan_interface: eth0
    remote: tunnel.example.net
    ipv4_address: 203.0.113.9/29
    interface_id: ::feed
    snat: true
    update_url: https://[2001:db8:1::80]/update?ip6={ipv6}
)",
            "t.yaml");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  const Tunnel& t = r.config->tunnels.at(0);
  EXPECT_EQ(t.ipv4_address, IpPrefix::parse("203.0.113.9/32"));
  EXPECT_EQ(t.ipip->block, IpPrefix::parse("203.0.113.8/29"));
  EXPECT_EQ(t.aftr_name, "tunnel.example.net");
  EXPECT_EQ(t.ipip->interface_id, Ipv6Address::parse("::feed"));
  EXPECT_EQ(t.ipip->snat, Snat::on);
  EXPECT_EQ(t.ipip->update_url, "https://[2001:db8:1::80]/update?ip6={ipv6}");
  // --print-config writes what loads again to the same configuration.
  const std::string text = print(*r.config);
  EXPECT_THAT(text, HasSubstr("ipv4_address: 203.0.113.9/29"));
  auto again = parse(text, "printed.yaml");
  ASSERT_THAT(again.errors, IsEmpty()) << again.report() << text;
  EXPECT_EQ(*again.config, *r.config) << text;
}

TEST(ParseIpip, WithoutIpv4AddressIsAnError) {
  EXPECT_THAT(headlines(with_ipip("", false)), ElementsAre(HasSubstr("ipv4_address")));
}

TEST(ParseIpip, AftrIsNotAKeyOfIpipAndRemoteNotOneOfDslite) {
  EXPECT_THAT(headlines(with_ipip("aftr: 2001:db8:ff::2")),
              ElementsAre("t.yaml:8:11: error: aftr: not a key of type ipip; the provider's end is `remote`"));
  auto r = parse(R"(node: b4
tunnels:
  - name: ip6tnl1
    wan_interface: eth0
    aftr: 2001:db8:a::1
    remote: 2001:db8:a::2
)",
                 "t.yaml");
  EXPECT_THAT(headlines(r), ElementsAre(HasSubstr("remote")));
  r = parse("node: ce\ntunnels:\n  - name: ipip0\n    type: ipip\n    wan_interface: eth0\n    ipv4_address: 203.0.113.10\n",
            "t.yaml");
  EXPECT_THAT(headlines(r), ElementsAre(HasSubstr("remote")));
}

TEST(ParseIpip, BadValuesAreRefusedWithTheirReason) {
  EXPECT_THAT(headlines(with_ipip("interface_id: 2001:db8::feed")),
              ElementsAre(HasSubstr("interface_id: 2001:db8::feed sets bits in the upper 64")));
  EXPECT_THAT(headlines(with_ipip("interface_id: '::'")), ElementsAre(HasSubstr("interface_id: :: is zero")));
  EXPECT_THAT(headlines(with_ipip("interface_id: 192.0.2.1")), ElementsAre(HasSubstr("not an IPv6 interface identifier")));
  EXPECT_THAT(headlines(with_ipip("local: 2001:db8::1\n    interface_id: ::feed")),
              ElementsAre(HasSubstr("local is set too")));
  EXPECT_THAT(headlines(with_ipip("snat: maybe")), ElementsAre(HasSubstr("snat")));
  EXPECT_THAT(headlines(with_ipip("update_url: ftp://[2001:db8::1]/")), ElementsAre(HasSubstr("update_url: expected")));
  EXPECT_THAT(headlines(with_ipip("update_url: 'https://a b'")), ElementsAre(HasSubstr("update_url: expected")));
  EXPECT_THAT(headlines(with_ipip("update_credentials: /etc/x")), ElementsAre(HasSubstr("no update_url")));
  auto r = parse("node: ce\ntunnels:\n  - name: ipip0\n    type: ipip\n    wan_interface: eth0\n    remote: 2001:db8:ff::1\n"
                 "    ipv4_address: 2001:db8::1\n",
                 "t.yaml");
  EXPECT_THAT(headlines(r), ElementsAre(HasSubstr("expected the fixed IPv4 address")));
}

TEST(ParseIpip, CredentialsAreRefusedWhenOthersMayReadThem) {
  const std::string path = ::testing::TempDir() + "/ipip_credentials";
  std::ofstream(path) << "user:secret\n";
  ::chmod(path.c_str(), 0644);
  const std::string keys = "update_url: http://[2001:db8:1::80]/u\n    update_credentials: " + path;
  EXPECT_THAT(headlines(with_ipip(keys)), ElementsAre(HasSubstr("lets group or others read")));
  ::chmod(path.c_str(), 0600);
  EXPECT_THAT(headlines(with_ipip(keys)), IsEmpty());
  // A rewritten file makes the tunnel differ, so a reload reads it again.
  const auto before = parse("node: ce\ntunnels:\n  - name: ipip0\n    type: ipip\n    wan_interface: eth0\n"
                            "    remote: 2001:db8:ff::1\n    ipv4_address: 203.0.113.10\n    " + keys + "\n", "t.yaml");
  std::ofstream(path) << "user:another-secret\n";
  const auto after = parse("node: ce\ntunnels:\n  - name: ipip0\n    type: ipip\n    wan_interface: eth0\n"
                           "    remote: 2001:db8:ff::1\n    ipv4_address: 203.0.113.10\n    " + keys + "\n", "t.yaml");
  ASSERT_TRUE(before.config && after.config);
  EXPECT_NE(before.config->tunnels.at(0), after.config->tunnels.at(0));
  std::ofstream(path) << "nocolon\n";
  EXPECT_THAT(headlines(with_ipip(keys)), ElementsAre(HasSubstr("expected user:password")));
  std::remove(path.c_str());
}

}  // namespace
}  // namespace pairgate::conf
