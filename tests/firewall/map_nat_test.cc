// firewall/map_nat: the rendered NAT uses every port set, once each, and
// nothing outside them. tests/integration/map_nat_test.sh has nft parse it.
#include "firewall/map_nat.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "tunnel/map_rule.h"

namespace pairgate::firewall {
namespace {

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto pos = text.find(part); pos != std::string::npos; pos = text.find(part, pos + 1)) ++n;
  return n;
}

// The v6plus-shaped rule of tests/tunnel/map_rule_test.cc: 198.18.18.52,
// 15 sets of 16 ports from 5472-5487 to 62816-62831.
MapNat v6plus_shaped() {
  tunnel::MapDomain d{*Ipv6Address::parse("2001:db8:ffff::1"),
                      {{*IpPrefix::parse("2001:db8::/31"), *IpPrefix::parse("198.18.0.0/15"), 25, 4}},
                      tunnel::InterfaceIdForm::rfc7597};
  auto r = tunnel::map(d, *IpPrefix::parse("2001:db8:1234:5600::/56"));
  EXPECT_TRUE(r);
  return MapNat{"mape0", r->ipv4.address().v4(), r->port_sets};
}

TEST(MapNat, EverySetHasOneChainAndOneJump) {
  const auto nat = v6plus_shaped();
  ASSERT_EQ(nat.port_sets.size(), 15u);
  const std::string text = render_map_nat(nat);
  EXPECT_NE(text.find("numgen inc mod 15 vmap { 0 : jump mape_mape0_set_0, "), std::string::npos) << text;
  EXPECT_NE(text.find(", 14 : jump mape_mape0_set_14 }"), std::string::npos);
  for (std::size_t i = 0; i < 15; ++i) {
    const std::string chain = "mape_mape0_set_" + std::to_string(i);
    EXPECT_EQ(count(text, "\tchain " + chain + " {\n"), 1u) << chain;
    EXPECT_EQ(count(text, "jump " + chain + ","), i + 1 < 15 ? 1u : 0u);
    const auto& s = nat.port_sets[i];
    EXPECT_EQ(count(text, "snat ip to 198.18.18.52:" + std::to_string(s.first) + "-" + std::to_string(s.last) + "\n"), 1u);
  }
  EXPECT_EQ(count(text, "snat ip to"), 15u);
}

// No SNAT target outside the sets: every `snat ... :A-B` range is one of
// them.
TEST(MapNat, NoPortOutsideTheSets) {
  const auto nat = v6plus_shaped();
  const std::string text = render_map_nat(nat);
  std::set<std::pair<unsigned, unsigned>> wanted;
  for (const auto& s : nat.port_sets) wanted.insert({s.first, s.last});
  const std::regex snat("snat ip to ([0-9.]+):([0-9]+)-([0-9]+)");
  std::set<std::pair<unsigned, unsigned>> got;
  for (std::sregex_iterator it(text.begin(), text.end(), snat), end; it != end; ++it) {
    EXPECT_EQ((*it)[1].str(), "198.18.18.52");
    got.insert({static_cast<unsigned>(std::stoul((*it)[2])), static_cast<unsigned>(std::stoul((*it)[3]))});
  }
  EXPECT_EQ(got, wanted);
}

// The NAT chain, whole: a new flow of a protocol without ports is dropped
// and counted first; TCP, UDP and ICMP are spread over the sets. No chain
// of a filter type: nothing a flow's later packets pass.
TEST(MapNat, HooksAndGuard) {
  const std::string text = render_map_nat(MapNat{"mape0", *Ipv4Address::parse("198.18.18.52"), {{4928, 4943}, {9024, 9039}}});
  EXPECT_EQ(count(text, "type nat hook postrouting priority srcnat; policy accept;"), 1u);
  EXPECT_EQ(count(text, "type filter"), 0u);
  EXPECT_EQ(count(text, "\tcounter mape_mape0_unmapped {\n"), 1u);
  const std::string snat = R"(
	chain mape_mape0_snat {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "mape0" meta nfproto ipv4 meta l4proto != { tcp, udp, icmp } counter name "mape_mape0_unmapped" drop comment "no ports to map"
		oifname "mape0" meta nfproto ipv4 meta l4proto { tcp, udp, icmp } numgen inc mod 2 vmap { 0 : jump mape_mape0_set_0, 1 : jump mape_mape0_set_1 } comment "spread new flows over the 2 port sets"
	}

	chain mape_mape0_set_0 {
		meta l4proto { tcp, udp, icmp } snat ip to 198.18.18.52:4928-4943
	}

	chain mape_mape0_set_1 {
		meta l4proto { tcp, udp, icmp } snat ip to 198.18.18.52:9024-9039
	}
)";
  EXPECT_NE(text.find(snat), std::string::npos) << text;
  EXPECT_TRUE(text.ends_with(snat)) << text;
}

// The RFC 7597 Appendix A example: 63 sets of 4 ports.
TEST(MapNat, SixtyThreeSets) {
  MapNat nat{"wan-map.1", *Ipv4Address::parse("192.0.2.18"), tunnel::port_sets(6, 8, 0x34)};
  const std::string text = render_map_nat(nat);
  EXPECT_EQ(map_nat_prefix("wan-map.1"), "mape_wan_map_1");
  EXPECT_NE(text.find("numgen inc mod 63 vmap"), std::string::npos);
  EXPECT_EQ(count(text, "snat ip to 192.0.2.18:"), 63u);
  EXPECT_NE(text.find("snat ip to 192.0.2.18:1232-1235\n"), std::string::npos);
  EXPECT_NE(text.find("snat ip to 192.0.2.18:64720-64723\n"), std::string::npos);
  EXPECT_NE(text.find("oifname \"wan-map.1\" "), std::string::npos);
}

TEST(MapNat, SinglePortSetIsWrittenAsAPort) {
  MapNat nat{"m", *Ipv4Address::parse("192.0.2.1"), {{80, 80}}};
  const std::string text = render_map_nat(nat);
  EXPECT_NE(text.find("snat ip to 192.0.2.1:80\n"), std::string::npos) << text;
  EXPECT_NE(text.find("numgen inc mod 1 vmap { 0 : jump mape_m_set_0 }"), std::string::npos);
}

TEST(MapNat, WholeTable) {
  MapNat nat{"mape0", *Ipv4Address::parse("192.0.2.18"), {{1232, 1235}}};
  const std::string text = render_map_nat_table(nat, "pairgate");
  EXPECT_EQ(text.rfind("table inet pairgate {\n\tcounter mape_mape0_unmapped {\n", 0), 0u) << text;
  EXPECT_TRUE(text.ends_with("\t}\n}\n"));
}

}  // namespace
}  // namespace pairgate::firewall
