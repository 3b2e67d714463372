// conf::diff: what a reload must apply, and nothing that only moved in the file.
#include "conf/diff.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "conf/parser.h"
#include "tests/conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kBeagle = read(PAIRGATE_SHARED_DIR "/design/beagle.yaml");
const std::string kPrimergy = read(PAIRGATE_SHARED_DIR "/design/primergy.yaml");
// beagle.yaml's VRRP2 instance, exactly as the file writes it.
const std::string kVrrp2Block = R"(    - name: VRRP2
      interface: enp4s0
      vrid: 2
      priority: 200
      advert_interval: 1s
      virtual_addresses: [192.168.2.1/24]
      track:
        - tunnel: ip6tnl1
        - interface: enp3s0
          weight: -60               # with a weight: lower the priority while down
)";

Config parse_ok(const std::string& text) {
  LoadResult r = parse(text, "test.yaml");
  EXPECT_THAT(r.errors, IsEmpty()) << r.report();
  return r.config.value_or(Config{});
}

// kBeagle with `from` (which must occur once) replaced by `to`.
std::string edit(std::string_view from, std::string_view to) {
  std::string text = kBeagle;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

ConfigDiff diff_beagle_to(const std::string& after) { return diff(parse_ok(kBeagle), parse_ok(after)); }

TEST(Diff, IdenticalFilesDiffEmpty) {
  ASSERT_FALSE(kBeagle.empty());
  const ConfigDiff d = diff(parse_ok(kBeagle), parse_ok(kBeagle));
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.summary(), "no changes");
  EXPECT_TRUE(diff(Config{}, Config{}).empty());
}

TEST(Diff, PositionsNeverCountAsChanges) {
  // A blank line after every line moves every value of the file.
  std::string spread;
  for (char c : kBeagle) {
    spread += c;
    if (c == '\n') spread += '\n';
  }
  EXPECT_TRUE(diff_beagle_to(spread).empty()) << diff_beagle_to(spread).summary();

  // So do comments, flow style, another order of keys and another spelling
  // of the same duration.
  const std::string restyled = edit(kVrrp2Block,
                                    R"(    # the LAN side, written another way
    - {vrid: 2, priority: 200, name: VRRP2, interface: enp4s0,
       virtual_addresses: [192.168.2.1/24], advert_interval: 1000ms,
       track: [{tunnel: ip6tnl1}, {weight: -60, interface: enp3s0}]}
)");
  EXPECT_TRUE(diff_beagle_to(restyled).empty()) << diff_beagle_to(restyled).summary();
  const std::string reordered = edit("      vrid: 2\n      priority: 200\n", "      priority: 200\n\n\n      vrid: 2\n");
  EXPECT_TRUE(diff_beagle_to(reordered).empty()) << diff_beagle_to(reordered).summary();
}

TEST(Diff, TheTwoExampleHosts) {
  const ConfigDiff d = diff(parse_ok(kBeagle), parse_ok(kPrimergy));
  EXPECT_TRUE(d.node);
  EXPECT_FALSE(d.control);
  EXPECT_FALSE(d.logging);
  EXPECT_FALSE(d.notify);
  EXPECT_FALSE(d.sysctl);
  EXPECT_EQ(d.vrrp_instances, (NamedChanges{{}, {}, {"VRRP1", "VRRP2"}}));
  EXPECT_FALSE(d.sync_groups);
  EXPECT_FALSE(d.lease_file);
  EXPECT_EQ(d.dhcp_subnets, (NamedChanges{{}, {}, {"192.168.2.0/24"}}));
  EXPECT_EQ(d.tunnels, (NamedChanges{{}, {}, {"ip6tnl1"}}));
  EXPECT_TRUE(d.firewall);
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.summary(), "node; vrrp changed [VRRP1, VRRP2]; dhcp changed [192.168.2.0/24]; "
                         "tunnels changed [ip6tnl1]; firewall");
  // And back again.
  const ConfigDiff back = diff(parse_ok(kPrimergy), parse_ok(kBeagle));
  EXPECT_EQ(back.summary(), d.summary());
}

TEST(Diff, ChangedPriorityChangesOnlyThatInstance) {
  const ConfigDiff d =
      diff_beagle_to(edit("      priority: 200                 # 1..255", "      priority: 150                 # 1..255"));
  EXPECT_EQ(d.vrrp_instances, (NamedChanges{{}, {}, {"VRRP1"}}));
  EXPECT_EQ(d.summary(), "vrrp changed [VRRP1]");
}

TEST(Diff, AddedInstance) {
  const ConfigDiff d = diff_beagle_to(edit("  sync_groups:", R"(    - name: VRRP3
      interface: enp5s0
      vrid: 3
      virtual_addresses: [192.168.3.1/24]
  sync_groups:)"));
  EXPECT_EQ(d.vrrp_instances, (NamedChanges{{"VRRP3"}, {}, {}}));
  EXPECT_FALSE(d.sync_groups);
  EXPECT_EQ(d.summary(), "vrrp added [VRRP3]");
}

TEST(Diff, RemovedInstanceAndItsSyncGroupMembership) {
  const std::string text = edit(kVrrp2Block,
                                "");
  std::string after = text;
  after.replace(after.find("[VRRP1, VRRP2]"), 14, "[VRRP1]");
  const ConfigDiff d = diff_beagle_to(after);
  EXPECT_EQ(d.vrrp_instances, (NamedChanges{{}, {"VRRP2"}, {}}));
  EXPECT_TRUE(d.sync_groups);
  EXPECT_EQ(d.summary(), "vrrp removed [VRRP2]; sync_groups");
}

TEST(Diff, RenamedInstanceIsRemovedAndAdded) {
  std::string after = edit("    - name: VRRP2\n", "    - name: LAN2\n");
  after.replace(after.find("[VRRP1, VRRP2]"), 14, "[VRRP1, LAN2]");
  const ConfigDiff d = diff_beagle_to(after);
  EXPECT_EQ(d.vrrp_instances, (NamedChanges{{"LAN2"}, {"VRRP2"}, {}}));
  EXPECT_EQ(d.summary(), "vrrp added [LAN2]; vrrp removed [VRRP2]; sync_groups");
}

TEST(Diff, ChangedPoolChangesTheSubnet) {
  const ConfigDiff d = diff_beagle_to(edit("[192.168.2.20-192.168.2.99]", "[192.168.2.20-192.168.2.89]"));
  EXPECT_EQ(d.dhcp_subnets, (NamedChanges{{}, {}, {"192.168.2.0/24"}}));
  EXPECT_FALSE(d.lease_file);
  EXPECT_EQ(d.summary(), "dhcp changed [192.168.2.0/24]");
}

TEST(Diff, ChangedReservationAndLeaseFile) {
  EXPECT_EQ(diff_beagle_to(edit("hostname: printer", "hostname: laser")).summary(), "dhcp changed [192.168.2.0/24]");
  EXPECT_EQ(diff_beagle_to(edit("lease_file: /var/lib/pairgate/dhcp4.leases", "lease_file: /var/lib/pg/leases"))
                .summary(),
            "dhcp lease_file");
}

TEST(Diff, AddedSubnet) {
  const ConfigDiff d = diff_beagle_to(edit("\ntunnels:", R"(    - interface: enp5s0
      subnet: 192.168.3.0/24

tunnels:)"));
  EXPECT_EQ(d.dhcp_subnets, (NamedChanges{{"192.168.3.0/24"}, {}, {}}));
  EXPECT_EQ(d.summary(), "dhcp added [192.168.3.0/24]");
}

TEST(Diff, TunnelChange) {
  EXPECT_EQ(diff_beagle_to(edit("    mtu: 1460", "    mtu: 1454")).summary(), "tunnels changed [ip6tnl1]");
  EXPECT_EQ(diff_beagle_to(edit("      down_after: 3", "      down_after: 5")).tunnels,
            (NamedChanges{{}, {}, {"ip6tnl1"}}));
  EXPECT_EQ(diff_beagle_to(edit("    aftr: gw.transix.jp", "    aftr: [\"2404:8e01::feed:100\"]")).summary(),
            "tunnels changed [ip6tnl1]");
}

TEST(Diff, FirewallChange) {
  EXPECT_EQ(diff_beagle_to(edit("    - {proto: tcp, dport: 22, family: ipv6}", "    - {proto: tcp, dport: 2222, family: ipv6}"))
                .summary(),
            "firewall");
  EXPECT_EQ(diff_beagle_to(edit("  log_drops: true", "  log_drops: false")).summary(), "firewall");
}

TEST(Diff, TopLevelSections) {
  EXPECT_EQ(diff_beagle_to(edit("  level: info", "  level: debug")).summary(), "logging");
  EXPECT_EQ(diff_beagle_to(edit("  group: adm", "  group: root")).summary(), "control");
  EXPECT_EQ(diff_beagle_to(edit("    timeout: 30s", "    timeout: 1m")).summary(), "notify");
  EXPECT_EQ(diff_beagle_to(edit("  net.ipv4.ip_forward: 1", "  net.ipv4.ip_forward: 0")).summary(), "sysctl");
  EXPECT_EQ(diff_beagle_to(edit("  instances: [VRRP1, VRRP2]", "  instances: [VRRP2, VRRP1]")).summary(),
            "sync_groups");
}

TEST(Diff, RemovedSections) {
  Config before = parse_ok(kBeagle);
  Config after = before;
  after.vrrp.reset();
  after.dhcp.reset();
  after.tunnels.clear();
  after.firewall.reset();
  const ConfigDiff d = diff(before, after);
  EXPECT_EQ(d.vrrp_instances, (NamedChanges{{}, {"VRRP1", "VRRP2"}, {}}));
  EXPECT_TRUE(d.sync_groups);
  EXPECT_TRUE(d.lease_file);
  EXPECT_EQ(d.dhcp_subnets, (NamedChanges{{}, {"192.168.2.0/24"}, {}}));
  EXPECT_EQ(d.tunnels, (NamedChanges{{}, {"ip6tnl1"}, {}}));
  EXPECT_TRUE(d.firewall);
  EXPECT_EQ(d.summary(),
            "vrrp removed [VRRP1, VRRP2]; sync_groups; dhcp lease_file; dhcp removed [192.168.2.0/24]; "
            "tunnels removed [ip6tnl1]; firewall");
  EXPECT_EQ(diff(after, before).summary(),
            "vrrp added [VRRP1, VRRP2]; sync_groups; dhcp lease_file; dhcp added [192.168.2.0/24]; "
            "tunnels added [ip6tnl1]; firewall");
}

TEST(Diff, AConfigBuiltInCodeEqualsTheParsedOne) {
  // Marks (and lists of marks) are left empty here, set by the parser.
  Config built;
  built.node = "n";
  Vrrp& v = built.vrrp.emplace();
  VrrpInstance in;
  in.name = "V";
  in.interface = "eth0";
  in.vrid = 7;
  in.virtual_addresses = {*IpPrefix::parse("192.0.2.1/24")};
  v.instances.push_back(in);
  v.sync_groups.push_back(SyncGroup{"G", {"V"}, {}, {}});
  const Config parsed = parse_ok(R"(node: n
vrrp:
  instances: [{name: V, interface: eth0, vrid: 7, virtual_addresses: [192.0.2.1/24]}]
  sync_groups: [{name: G, instances: [V]}]
)");
  EXPECT_EQ(parsed, built);
  EXPECT_TRUE(diff(built, parsed).empty());
}

}  // namespace
}  // namespace pairgate::conf
