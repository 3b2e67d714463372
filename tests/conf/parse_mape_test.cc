// conf/parse_mape and conf/mape_check: a `type: mape` tunnel's keys, the
// errors map() finds at --check, and what --check prints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/diagnostics.h"
#include "conf/mape_check.h"
#include "conf/parser.h"
#include "conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr const char* kRule = "{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 16, psid_offset: 4}";

LoadResult with_mape(std::string_view extra, std::string_view rules = kRule, bool firewall = true) {
  std::string text = R"(node: ce
tunnels:
  - name: mape0
    type: mape
    wan_interface: eth0
    br: 2001:db8:ffff::1
)";
  text += "    rules: [" + std::string(rules) + "]\n";
  if (!extra.empty()) text += "    " + std::string(extra) + "\n";
  if (firewall) text += "firewall: {wan_interfaces: [eth0]}\n";
  return parse(text, "t.yaml");
}

std::vector<std::string> headlines(const LoadResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.errors) out.push_back(headline(d));
  return out;
}

TEST(ParseMape, TheDomainAsWritten) {
  auto r = with_mape("interface_id: draft03");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  const Tunnel& t = r.config->tunnels.at(0);
  EXPECT_EQ(t.type, "mape");
  ASSERT_TRUE(t.mape);
  EXPECT_EQ(t.mape->br.to_string(), "2001:db8:ffff::1");
  EXPECT_EQ(t.mape->interface_id, tunnel::InterfaceIdForm::draft03);
  EXPECT_FALSE(t.mape->prefix) << "auto";
  ASSERT_EQ(t.mape->rules.size(), 1u);
  EXPECT_EQ(t.mape->rules[0].ea_length, 16u);
  EXPECT_EQ(t.mape->rules[0].psid_offset, 4u);
  EXPECT_EQ(t.ipv4_address, std::nullopt) << "computed, not the DS-Lite B4 address";
  EXPECT_EQ(t.mtu, 1460u);
  EXPECT_FALSE(t.encap_limit);
  EXPECT_TRUE(t.aftr_addresses.empty());
}

TEST(ParseMape, DefaultsAreRfc7597AndOffset6) {
  auto r = with_mape("prefix: 2001:db8:12:3400::/56", "{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 16}");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(r.config->tunnels[0].mape->interface_id, tunnel::InterfaceIdForm::rfc7597);
  EXPECT_EQ(r.config->tunnels[0].mape->rules[0].psid_offset, 6u);
  EXPECT_EQ(r.config->tunnels[0].mape->prefix, IpPrefix::parse("2001:db8:12:3400::/56"));
}

TEST(ParseMape, DsliteKeysAreRefused) {
  EXPECT_THAT(headlines(with_mape("aftr: 2001:db8::1")),
              ElementsAre(HasSubstr("aftr: not for type mape")));
  EXPECT_THAT(headlines(with_mape("ipv4_address: 192.0.0.2/29")),
              ElementsAre(HasSubstr("ipv4_address: not for type mape")));
  EXPECT_THAT(headlines(with_mape("local: 2001:db8::5")), ElementsAre(HasSubstr("local: not for type mape")));
}

TEST(ParseMape, BadValuesAreNamed) {
  EXPECT_THAT(headlines(with_mape("interface_id: rfc6052")), ElementsAre(HasSubstr("interface_id")));
  EXPECT_THAT(headlines(with_mape("prefix: 198.51.100.0/24")), ElementsAre(HasSubstr("prefix: expected the delegated IPv6 prefix")));
  EXPECT_THAT(headlines(with_mape("prefix: 2001:db8::/72")), ElementsAre(HasSubstr("length at most 64")));
  EXPECT_THAT(headlines(with_mape("", "{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 49}")),
              ElementsAre(HasSubstr("rules.ea_length: 49 is out of range 0..48")));
  EXPECT_THAT(headlines(with_mape("", "{ipv6_prefix: 198.51.100.0/24, ipv4_prefix: 198.51.100.0/24, ea_length: 8}")),
              ElementsAre(HasSubstr("rules.ipv6_prefix: expected an IPv6 prefix")));
  EXPECT_THAT(headlines(with_mape("", "")), ElementsAre(HasSubstr("rules: an empty list")));
  EXPECT_THAT(headlines(with_mape("", "{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 8, psd_offset: 4}")),
              ElementsAre(HasSubstr("psd_offset")));
}

// The errors of tunnel/map_rule (MapError), at --check.
TEST(CheckMape, MapErrorsAreConfigurationErrors) {
  // r6 + ea_length = 40 + 32 > 64.
  EXPECT_THAT(headlines(with_mape("", "{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 32}")),
              ElementsAre(HasSubstr("above 64")));
  // k = 16 - 8 = 8, a = 10: a + k > 16.
  EXPECT_THAT(headlines(with_mape("", "{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 16, psid_offset: 10}")),
              ElementsAre(HasSubstr("tunnel mape0: rule 1")));
  // A static prefix no rule covers.
  EXPECT_THAT(headlines(with_mape("prefix: 2001:db9:12:3400::/56")), ElementsAre(HasSubstr("tunnel mape0:")));
  // Host bits in a rule's prefix.
  EXPECT_THAT(headlines(with_mape("", "{ipv6_prefix: 2001:db8::1/40, ipv4_prefix: 198.51.100.0/24, ea_length: 16}")),
              ElementsAre(HasSubstr("no host bits")));
}

TEST(CheckMape, MapeNeedsTheFirewallForItsNat) {
  EXPECT_THAT(headlines(with_mape("", kRule, false)), ElementsAre(HasSubstr("needs an enabled firewall section")));
}

TEST(CheckMape, VrrpInstanceMustExist) {
  EXPECT_THAT(headlines(with_mape("vrrp_instance: VI_9")), ElementsAre(HasSubstr("vrrp_instance 'VI_9' is not declared")));
}

TEST(CheckMape, CheckPrintsTheMappingOfAStaticPrefix) {
  auto r = with_mape("prefix: 2001:db8:12:3400::/56");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  EXPECT_EQ(describe_mape(r.config->tunnels[0]),
            "tunnel mape0: rules[0], CE 198.51.100.18, PSID 0x34 (k=8), 15 port sets of 16 ports, CE IPv6 "
            "2001:db8:12:3400:0:c633:6412:34, BR 2001:db8:ffff::1");
  r = with_mape("");
  EXPECT_THAT(describe_mape(r.config->tunnels[0]), HasSubstr("computed at run time"));
}

TEST(PrintMape, PrintConfigReadsBackTheSame) {
  auto r = with_mape("prefix: 2001:db8:12:3400::/56\n    interface_id: draft03");
  ASSERT_THAT(r.errors, IsEmpty()) << r.report();
  for (bool defaults : {false, true}) {
    PrintOptions o;
    o.defaults = defaults;
    const std::string text = print(*r.config, o);
    auto again = parse(text, "printed.yaml");
    ASSERT_THAT(again.errors, IsEmpty()) << again.report() << text;
    EXPECT_EQ(*again.config, *r.config) << text;
  }
}

}  // namespace
}  // namespace pairgate::conf
