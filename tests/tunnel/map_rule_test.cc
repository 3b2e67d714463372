// tunnel/map_rule against RFC 7597 Appendix A, the port-set arithmetic of
// §5.1, both interface identifier forms, and every error.
#include "tunnel/map_rule.h"

#include <gtest/gtest.h>

#include <set>

namespace pairgate::tunnel {
namespace {

IpPrefix pfx(const char* text) {
  auto p = IpPrefix::parse(text);
  EXPECT_TRUE(p.has_value()) << text;
  return p.value_or(IpPrefix{});
}
Ipv6Address v6(const char* text) { return *Ipv6Address::parse(text); }

const Ipv6Address kBr = *Ipv6Address::parse("2001:db8:ffff::1");

MapDomain domain(std::vector<MapRule> rules, InterfaceIdForm form = InterfaceIdForm::rfc7597) {
  return MapDomain{kBr, std::move(rules), form};
}

// RFC 7597 Appendix A: the rule of Examples 1 and 2.
const MapRule kAppendixRule{pfx("2001:db8::/40"), pfx("192.0.2.0/24"), 16, 6};

// Example 1: the End-user IPv6 prefix 2001:db8:0012:3400::/56 gives EA bits
// 0x1234: IPv4 suffix 0x12 (192.0.2.18), PSID 0x34 (k = 16 - (32 - 24) = 8),
// "Available ports (63 ranges): 1232-1235, 2256-2259, ...... , 63696-63699,
// 64720-64723", and "IPv6 address of MAP CE:
// 2001:db8:0012:3400:0000:c000:0212:0034".
TEST(MapRule, Rfc7597AppendixExample1) {
  auto r = map(domain({kAppendixRule}), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ipv4, pfx("192.0.2.18/32"));
  EXPECT_EQ(r->psid_length, 8u);
  EXPECT_EQ(r->psid, 0x34);
  EXPECT_TRUE(r->shared());
  EXPECT_EQ(r->end_user_prefix, pfx("2001:db8:12:3400::/56"));
  ASSERT_EQ(r->port_sets.size(), 63u);
  EXPECT_EQ(r->port_sets[0], (PortRange{1232, 1235}));
  EXPECT_EQ(r->port_sets[1], (PortRange{2256, 2259}));
  EXPECT_EQ(r->port_sets[61], (PortRange{63696, 63699}));
  EXPECT_EQ(r->port_sets[62], (PortRange{64720, 64723}));
  EXPECT_EQ(r->port_count(), 63u * 4);
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:0012:3400:0000:c000:0212:0034"));
  EXPECT_EQ(r->br, kBr);
  EXPECT_EQ(r->rule, kAppendixRule);
}

// Example 2 goes the other way (a BR forwarding to 192.0.2.18 port 1232 finds
// PSID 0x34 and the same CE address): port 1232 is in the CE's sets, and its
// PSID bits (port >> m, k bits; m = 16 - 6 - 8 = 2) are 0x34.
TEST(MapRule, Rfc7597AppendixExample2PortBelongsToThePsid) {
  auto r = map(domain({kAppendixRule}), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(r);
  bool found = false;
  for (const auto& s : r->port_sets) found = found || s.contains(1232);
  EXPECT_TRUE(found);
  EXPECT_EQ((1232 >> 2) & 0xff, 0x34);
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:12:3400:0:c000:212:34"));
}

// Example 3: a rule with no EA bits and no sharing: Rule IPv6 prefix
// 2001:db8:0012:3400::/56, Rule IPv4 prefix 192.0.2.18/32, EA length 0 give
// "IPv6 address of MAP CE: 2001:db8:0012:3400:0000:c000:0212:0000".
TEST(MapRule, Rfc7597AppendixExample3NoEaBits) {
  const MapRule rule{pfx("2001:db8:12:3400::/56"), pfx("192.0.2.18/32"), 0, 6};
  auto r = map(domain({rule}), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ipv4, pfx("192.0.2.18/32"));
  EXPECT_FALSE(r->shared());
  EXPECT_EQ(r->psid, 0);
  EXPECT_EQ(r->port_sets, (std::vector<PortRange>{{1, 65535}}));
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:0012:3400:0000:c000:0212:0000"));
}

// §5.2, o < p: 4 EA bits under a /24 give the CE a /28. EA bits 40..43 of
// 2001:db8:12:3400::/56 are the high nibble of 0x12, 0x1: 192.0.2.16/28; the
// interface identifier carries the prefix right-padded with zeros.
TEST(MapRule, IPv4PrefixWhenEaBitsAreFewerThanTheSuffix) {
  const MapRule rule{pfx("2001:db8::/40"), pfx("192.0.2.0/24"), 4, 6};
  auto r = map(domain({rule}), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ipv4, pfx("192.0.2.16/28"));
  EXPECT_FALSE(r->shared());
  EXPECT_EQ(r->end_user_prefix, pfx("2001:db8:10::/44"));
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:12:3400:0:c000:210:0"));
}

// The shape of a JPNE v6plus rule with documentation addresses: Rule IPv6
// prefix /31, Rule IPv4 prefix /15, EA length 25, PSID offset 4, a /56.
//   r6 + o = 31 + 25 = 56: the EA bits are bits 31..55 of the /56.
//   p = 32 - 15 = 17 suffix bits, k = 25 - 17 = 8 PSID bits,
//   m = 16 - a - k = 16 - 4 - 8 = 4: sets of 2^4 = 16 ports,
//   A = 1 .. 2^4 - 1: 15 sets, 15 * 16 = 240 ports.
// 2001:db8:1234:5600::/56: bit 31 (low bit of 0x0db8) is 0, then 0x1234,
// then 0x56: suffix = 0 . 0x1234 (17 bits) = 4660 = 18 * 256 + 52, so the
// address is 198.18.0.0 + 0.0.18.52 = 198.18.18.52 (c612:1234); PSID 0x56.
// Set A starts at (A << 12) | (0x56 << 4) = 4096 A + 1376: 5472-5487 for
// A = 1, 61440 + 1376 = 62816-62831 for A = 15.
const MapRule kV6plusShaped{pfx("2001:db8::/31"), pfx("198.18.0.0/15"), 25, 4};

TEST(MapRule, V6plusShapedRfc7597Form) {
  auto r = map(domain({kV6plusShaped}), pfx("2001:db8:1234:5600::/56"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ipv4, pfx("198.18.18.52/32"));
  EXPECT_EQ(r->psid_length, 8u);
  EXPECT_EQ(r->psid, 0x56);
  ASSERT_EQ(r->port_sets.size(), 15u);
  for (std::size_t i = 0; i < 15; ++i) {
    const unsigned first = 4096 * (i + 1) + 1376;
    EXPECT_EQ(r->port_sets[i], (PortRange{static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(first + 15)}));
  }
  EXPECT_EQ(r->port_sets.front(), (PortRange{5472, 5487}));
  EXPECT_EQ(r->port_sets.back(), (PortRange{62816, 62831}));
  EXPECT_EQ(r->port_count(), 240u);
  // RFC 7597 §6: 0000 : c612:1234 : 0056.
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:1234:5600:0:c612:1234:56"));
}

// draft-ietf-softwire-map-03 (v6plus equipment, OpenWrt's legacymap): the
// IPv4 address from byte 9 and the PSID in bytes 13-14:
// 00 | c6 12 12 34 | 00 56 | 00 = 00c6:1212:3400:5600.
TEST(MapRule, V6plusShapedDraft03Form) {
  auto r = map(domain({kV6plusShaped}, InterfaceIdForm::draft03), pfx("2001:db8:1234:5600::/56"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->interface_id, InterfaceIdForm::draft03);
  EXPECT_EQ(r->ipv4, pfx("198.18.18.52/32"));
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:1234:5600:c6:1212:3400:5600"));
}

TEST(MapRule, Draft03FormOfTheAppendixExample) {
  auto r = map(domain({kAppendixRule}, InterfaceIdForm::draft03), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(r);
  // 00 | c0 00 02 12 | 00 34 | 00
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:12:3400:c0:2:1200:3400"));
}

// Without a delegated prefix the WAN's SLAAC /64 is used: the EA bits are
// the same, and the CE address stays inside the /64 (its subnet bits kept).
TEST(MapRule, SlaacSlash64KeepsItsSubnetBits) {
  auto r = map(domain({kV6plusShaped}), pfx("2001:db8:1234:5678::/64"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ipv4, pfx("198.18.18.52/32"));
  EXPECT_EQ(r->psid, 0x56);
  EXPECT_EQ(r->end_user_prefix, pfx("2001:db8:1234:5600::/56"));
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:1234:5678:0:c612:1234:56"));
}

// A delegated /48 under a /40 rule with 8 EA bits: the subnet ID between
// r6 + o = 48 and 64 is zero (§5.2: "the first subnet").
TEST(MapRule, SubnetIdIsZeroForAShortDelegatedPrefix) {
  const MapRule rule{pfx("2001:db8::/40"), pfx("192.0.2.0/24"), 8, 6};
  auto r = map(domain({rule}), pfx("2001:db8:12::/48"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->ipv4, pfx("192.0.2.18/32"));
  EXPECT_EQ(r->ce_ipv6, v6("2001:db8:12:0:0:c000:212:0"));
}

TEST(MapRule, LongestRuleIpv6PrefixWins) {
  const MapRule wide{pfx("2001:db8::/32"), pfx("198.51.100.0/24"), 16, 6};
  const MapRule other{pfx("2001:db8:ff00::/40"), pfx("203.0.113.0/24"), 16, 6};
  auto r = map(domain({wide, kAppendixRule, other}), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rule_index, 1u);
  EXPECT_EQ(r->ipv4, pfx("192.0.2.18/32"));
  // Only the wide one covers another /56.
  auto w = map(domain({other, wide}), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->rule_index, 1u);
}

// §5.1 with the default a = 6 and k = 8: for every PSID, 63 sets of 4
// ports, none below 1024; the sets of all 256 PSIDs are disjoint and
// together are exactly 1024-65535.
TEST(PortSets, DefaultOffsetCoversTheNonSystemPortsOnce) {
  std::set<unsigned> seen;
  for (unsigned psid = 0; psid < 256; ++psid) {
    const auto sets = port_sets(6, 8, static_cast<std::uint16_t>(psid));
    ASSERT_EQ(sets.size(), 63u);
    for (const auto& s : sets) {
      EXPECT_EQ(s.size(), 4u);
      EXPECT_GE(s.first, 1024);
      EXPECT_EQ((s.first >> 2) & 0xff, psid);
      for (unsigned p = s.first; p <= s.last; ++p) EXPECT_TRUE(seen.insert(p).second) << "port " << p << " twice";
    }
  }
  EXPECT_EQ(seen.size(), 65536u - 1024);
  EXPECT_EQ(*seen.begin(), 1024u);
  EXPECT_EQ(*seen.rbegin(), 65535u);
}

// a = 4, k = 8: 2^4 - 1 = 15 sets of 2^(16-4-8) = 16 ports, none below 4096
// (A = 0 would be 0-4095), disjoint across PSIDs.
TEST(PortSets, V6plusOffsetGivesFifteenSetsOfSixteen) {
  std::set<unsigned> seen;
  for (unsigned psid = 0; psid < 256; ++psid) {
    const auto sets = port_sets(4, 8, static_cast<std::uint16_t>(psid));
    ASSERT_EQ(sets.size(), 15u);
    for (const auto& s : sets) {
      EXPECT_EQ(s.size(), 16u);
      EXPECT_GE(s.first, 4096);
      for (unsigned p = s.first; p <= s.last; ++p) EXPECT_TRUE(seen.insert(p).second);
    }
  }
  EXPECT_EQ(seen.size(), 65536u - 4096);
}

// a = 0: one contiguous set of 2^(16-k) per PSID; PSID 0 loses port 0.
TEST(PortSets, ZeroOffsetIsOneContiguousSet) {
  EXPECT_EQ(port_sets(0, 4, 0), (std::vector<PortRange>{{1, 4095}}));
  EXPECT_EQ(port_sets(0, 4, 3), (std::vector<PortRange>{{12288, 16383}}));
  EXPECT_EQ(port_sets(0, 16, 80), (std::vector<PortRange>{{80, 80}}));
}

TEST(PortSets, AscendingAndNeverOutsideTheSets) {
  auto r = map(domain({kAppendixRule}), pfx("2001:db8:12:3400::/56"));
  ASSERT_TRUE(r);
  for (std::size_t i = 1; i < r->port_sets.size(); ++i) EXPECT_GT(r->port_sets[i].first, r->port_sets[i - 1].last);
  unsigned in = 0;
  for (unsigned p = 0; p < 65536; ++p) {
    for (const auto& s : r->port_sets) in += s.contains(p) ? 1 : 0;
  }
  EXPECT_EQ(in, r->port_count());
}

struct ErrorCase {
  const char* name;
  std::vector<MapRule> rules;
  const char* delegated;
  MapError error;
  const char* message_part;
};

TEST(MapRule, Errors) {
  const std::vector<ErrorCase> cases = {
      {"no rules", {}, "2001:db8:12:3400::/56", MapError::no_rules, "no rule"},
      {"not covered", {{pfx("2001:db8:ff00::/40"), pfx("192.0.2.0/24"), 16, 6}}, "2001:db8:12:3400::/56",
       MapError::no_rule_covers, "2001:db8:12:3400::/56"},
      {"rule longer than the delegated prefix", {{pfx("2001:db8:12:3400::/60"), pfx("192.0.2.0/24"), 4, 6}},
       "2001:db8:12:3400::/56", MapError::no_rule_covers, "covers"},
      {"delegated too short", {kAppendixRule}, "2001:db8:12::/48", MapError::delegated_too_short, "56 bits"},
      {"delegated longer than 64", {kAppendixRule}, "2001:db8:12:3400::/80", MapError::bad_delegated_prefix, "/80"},
      {"delegated IPv4", {kAppendixRule}, "192.0.2.0/24", MapError::bad_delegated_prefix, "192.0.2.0/24"},
      {"ea_length above 48", {{pfx("2001:db8::/32"), pfx("192.0.2.0/24"), 49, 6}}, "2001:db8:12:3400::/56",
       MapError::ea_length_too_long, "49"},
      {"end-user prefix above 64", {{pfx("2001:db8::/32"), pfx("192.0.0.0/8"), 40, 6}}, "2001:db8:12:3400::/56",
       MapError::end_user_prefix_too_long, "72"},
      {"psid above 16 bits", {{pfx("2001:db8::/32"), pfx("192.0.2.0/24"), 25, 6}}, "2001:db8:12:3400::/64",
       MapError::psid_too_long, "17 bits"},
      {"offset above 15", {{pfx("2001:db8::/40"), pfx("192.0.2.0/24"), 16, 16}}, "2001:db8:12:3400::/56",
       MapError::psid_offset_out_of_range, "psid_offset 16"},
      {"offset plus psid above 16", {{pfx("2001:db8::/40"), pfx("192.0.2.0/24"), 16, 9}}, "2001:db8:12:3400::/56",
       MapError::psid_offset_out_of_range, "a + k + m = 16"},
      {"rule IPv6 prefix with host bits", {{pfx("2001:db8::1/40"), pfx("192.0.2.0/24"), 16, 6}},
       "2001:db8:12:3400::/56", MapError::bad_rule_prefix, "no host bits"},
      {"rule IPv4 prefix with host bits", {{pfx("2001:db8::/40"), pfx("192.0.2.1/24"), 16, 6}},
       "2001:db8:12:3400::/56", MapError::bad_rule_ipv4, "IPv4 network"},
      {"rule IPv4 prefix that is IPv6", {{pfx("2001:db8::/40"), pfx("2001:db8::/96"), 16, 6}},
       "2001:db8:12:3400::/56", MapError::bad_rule_ipv4, "rule 1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto r = map(domain(c.rules), pfx(c.delegated));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().error, c.error) << to_string(r.error().error) << ": " << r.error().message;
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
  }
}

TEST(MapRule, ErrorNamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kMapErrorCount; ++i) names.insert(to_string(static_cast<MapError>(i)));
  EXPECT_EQ(names.size(), kMapErrorCount);
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(MapRule, InterfaceIdFormNames) {
  EXPECT_EQ(parse_interface_id_form("rfc7597"), InterfaceIdForm::rfc7597);
  EXPECT_EQ(parse_interface_id_form("draft03"), InterfaceIdForm::draft03);
  EXPECT_EQ(parse_interface_id_form("legacy"), std::nullopt);
  EXPECT_EQ(to_string(InterfaceIdForm::draft03), "draft03");
}

}  // namespace
}  // namespace pairgate::tunnel
