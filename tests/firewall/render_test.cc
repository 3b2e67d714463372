// firewall/render against golden files. To accept a deliberate change:
//   PAIRGATE_UPDATE_GOLDEN=1 build/tests/firewall_tests
// then review the diff of tests/firewall/golden/.
#include "firewall/render.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "conf/parser.h"

namespace pairgate::firewall {
namespace {

const std::string kGolden = std::string(PAIRGATE_SOURCE_DIR) + "/tests/firewall/golden/";

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

conf::Config load_text(const std::string& text) {
  auto r = conf::parse(text, "test.yaml");
  EXPECT_TRUE(r.config.has_value()) << r.report();
  return r.config.value_or(conf::Config{});
}

void expect_golden(const conf::Config& c, const std::string& name, const std::vector<MapNat>& maps = {}) {
  const std::string got = render_table(c, maps);
  const std::string path = kGolden + name;
  if (std::getenv("PAIRGATE_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << got;
  EXPECT_EQ(got, read(path)) << "golden file " << path;
}

// A mape tunnel with its mapping known (the firewall service has it from a
// tunnel_map event): the NAT's chains in the table, and IPIP only from the BR.
TEST(Render, AMapeMappingIsSplicedIntoTheTable) {
  auto c = load_text(R"(node: mape
tunnels:
  - name: mape0
    type: mape
    wan_interface: wan0
    br: 2001:db8:ffff::1
    rules: [{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 16, psid_offset: 4}]
firewall:
  wan_interfaces: [wan0]
)");
  auto m = tunnel::map(c.tunnels[0].mape->domain(), *IpPrefix::parse("2001:db8:12:3400::/56"));
  ASSERT_TRUE(m);
  const MapNat nat{"mape0", m->ipv4.address().v4(), m->port_sets};
  expect_golden(c, "mape.nft", {nat});
  const auto text = render_table(c, {nat});
  EXPECT_NE(text.find("snat ip to 198.51.100.18:4928-4943"), std::string::npos);
  EXPECT_NE(text.find("ip6 saddr 2001:db8:ffff::1 meta l4proto 4"), std::string::npos);
  // Without a mapping (not computed yet): no NAT, the rest alike.
  EXPECT_EQ(render_table(c).find("mape_mape0"), std::string::npos);
}

TEST(Render, Beagle) {
  auto r = conf::load(std::string(PAIRGATE_SHARED_DIR) + "/design/beagle.yaml");
  ASSERT_TRUE(r.config) << r.report();
  expect_golden(*r.config, "beagle.nft");
}

TEST(Render, Primergy) {
  auto r = conf::load(std::string(PAIRGATE_SHARED_DIR) + "/design/primergy.yaml");
  ASSERT_TRUE(r.config) << r.report();
  expect_golden(*r.config, "primergy.nft");
}

TEST(Render, AShortConfigurationStillLetsThePairAndTheAftrIn) {
  auto c = load_text(R"(node: short
vrrp:
  instances:
    - {name: V, interface: wan0, vrid: 1, virtual_addresses: [192.0.2.2/24]}
tunnels:
  - {name: tun0, wan_interface: wan0, aftr: [2001:db8:ffff::1, 2001:db8:ffff::2]}
firewall:
  wan_interfaces: [wan0]
)");
  expect_golden(c, "short.nft");
  const std::string t = render_table(c);
  EXPECT_NE(t.find("iifname { \"wan0\" } ip daddr 224.0.0.18 ip ttl 255 meta l4proto 112 counter accept"), std::string::npos);
  EXPECT_NE(t.find("ip6 saddr { 2001:db8:ffff::1, 2001:db8:ffff::2 } meta l4proto 4 counter accept"), std::string::npos);
  EXPECT_NE(t.find("nd-neighbor-solicit"), std::string::npos);
}

TEST(Render, VrrpThreeAndUnicastAdvertsFromThePeerAreLetInOnWanInterfaces) {
  auto c = load_text(R"(node: v3
vrrp:
  instances:
    - {name: V4, interface: wan0, vrid: 1, version: 3, virtual_addresses: [192.0.2.2/24]}
    - {name: V6, interface: wan0, vrid: 2, version: 3, virtual_addresses: [fe80::1/64, 2001:db8::1/64]}
    - {name: U4, interface: wan1, vrid: 3, virtual_addresses: [198.51.100.1/24], unicast_peers: [198.51.100.3]}
    - {name: U6, interface: wan1, vrid: 4, version: 3, virtual_addresses: [fe80::2/64], unicast_peers: [fe80::3]}
    - {name: LAN, interface: lan0, vrid: 5, virtual_addresses: [203.0.113.1/24]}
firewall:
  wan_interfaces: [wan0, wan1]
)");
  const std::string t = render_table(c);
  EXPECT_NE(t.find("iifname { \"wan0\" } ip daddr 224.0.0.18 ip ttl 255 meta l4proto 112 counter accept"), std::string::npos);
  EXPECT_NE(t.find("iifname { \"wan0\" } ip6 daddr ff02::12 ip6 hoplimit 255 meta l4proto 112 counter accept"),
            std::string::npos);
  EXPECT_NE(t.find("iifname \"wan1\" ip saddr { 198.51.100.3 } meta l4proto 112 counter accept"), std::string::npos);
  EXPECT_NE(t.find("iifname \"wan1\" ip6 saddr { fe80::3 } meta l4proto 112 counter accept"), std::string::npos);
  EXPECT_EQ(t.find("lan0\" } ip daddr 224.0.0.18"), std::string::npos) << "lan0 is not a WAN interface";
}

TEST(Render, OptionsOff) {
  auto c = load_text(R"(node: quiet
tunnels:
  - {name: tun0, wan_interface: wan0, aftr: 2001:db8:ffff::1}
firewall:
  table: edge
  wan_interfaces: [wan0, wan1]
  mss_clamp: false
  log_drops: false
  input:
    - {proto: tcp, sport: 1024, dport: 22}
    - {from: 2001:db8::/32, proto: udp}
    - {family: ipv4}
)");
  expect_golden(c, "options_off.nft");
  const std::string t = render_table(c);
  EXPECT_EQ(t.find("maxseg"), std::string::npos);
  EXPECT_EQ(t.find("log prefix"), std::string::npos);
  EXPECT_NE(t.find("table inet edge {"), std::string::npos);
  EXPECT_NE(t.find("tcp sport 1024 tcp dport 22 counter accept"), std::string::npos);
  EXPECT_NE(t.find("ip6 saddr 2001:db8::/32 meta l4proto udp counter accept"), std::string::npos);
  EXPECT_NE(t.find("meta nfproto ipv4 counter accept"), std::string::npos);
  EXPECT_NE(t.find("iifname != { \"wan0\", \"wan1\", \"tun0\" } accept"), std::string::npos);
}

TEST(Render, ApplyScriptReplacesTheTableInOneGo) {
  auto c = load_text("node: n\nfirewall: {wan_interfaces: [wan0]}\n");
  const std::string s = render_apply_script(c);
  EXPECT_TRUE(s.starts_with("add table inet pairgate\ndelete table inet pairgate\ntable inet pairgate {\n")) << s;
  // A renamed table: the old one goes in the same transaction.
  const std::string renamed = render_apply_script(c, "oldname");
  EXPECT_TRUE(renamed.starts_with("add table inet oldname\ndelete table inet oldname\nadd table inet pairgate\n")) << renamed;
  EXPECT_EQ(render_apply_script(c, "pairgate"), s);
  EXPECT_EQ(render_delete_script("x"), "add table inet x\ndelete table inet x\n");
}

TEST(Render, StateSyncMarksTheIpv4FlowsLeavingThroughAWanInterface) {
  const std::string base = R"(node: r
vrrp:
  instances:
    - {name: V, interface: lan0, vrid: 1, virtual_addresses: [192.0.2.1/24]}
tunnels:
  - {name: tun0, wan_interface: wan0, aftr: 2001:db8:ffff::1}
firewall:
  wan_interfaces: [wan0]
)";
  const std::string rule =
      "oifname { \"wan0\", \"tun0\" } meta nfproto ipv4 meta l4proto { tcp, udp, icmp } ct state new "
      "ct mark set ct mark | 0x00010000 comment \"state sync: a WAN flow\"";
  auto off = conf::parse(base, "test.yaml");
  ASSERT_TRUE(off.config.has_value()) << off.report();
  EXPECT_EQ(render_table(*off.config).find("ct mark"), std::string::npos);
  conf::Config on = *off.config;  // --check wants a peer section too: not this test's business
  on.firewall->state_sync = true;
  const std::string table = render_table(on);
  const auto at = table.find(rule);
  ASSERT_NE(at, std::string::npos) << table;
  // In forward, before the LAN's traffic is accepted (the mark is set on the
  // first packet, which comes from the LAN); never in input.
  EXPECT_GT(at, table.find("chain forward"));
  EXPECT_LT(at, table.find("iifname != { \"wan0\", \"tun0\" } accept", table.find("chain forward")));
}

}  // namespace
}  // namespace pairgate::firewall
