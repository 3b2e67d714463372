// conf::print: what it writes loads again to an equal configuration, in both
// forms; the long form fills in every default; comments land on their keys.
#include "conf/print.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "conf/parser.h"
#include "tests/conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

const std::string kBeagle = PAIRGATE_SHARED_DIR "/design/beagle.yaml";
const std::string kPrimergy = PAIRGATE_SHARED_DIR "/design/primergy.yaml";

Config parse_ok(std::string_view text) {
  LoadResult r = parse(text, "printed.yaml");
  EXPECT_THAT(r.errors, IsEmpty()) << r.report() << "\n--- text:\n" << text;
  return r.config.value_or(Config{});
}

TEST(Print, TheShortFormOfTheExampleHostsLoadsAgainToAnEqualConfiguration) {
  for (const auto& path : {kBeagle, kPrimergy}) {
    LoadResult loaded = load(path);
    ASSERT_TRUE(loaded.config) << loaded.report();
    PrintOptions o;
    o.defaults = false;
    const std::string text = print(*loaded.config, o);
    EXPECT_EQ(parse_ok(text), *loaded.config) << path << "\n" << text;
  }
}

// The long form also names what a rule's from or proto imply (family), so
// the configuration it loads to is equal in meaning, and prints the same.
TEST(Print, TheLongFormOfTheExampleHostsLoadsAgainToTheSameMeaning) {
  for (const auto& path : {kBeagle, kPrimergy}) {
    LoadResult loaded = load(path);
    ASSERT_TRUE(loaded.config) << loaded.report();
    const std::string text = print(*loaded.config);
    Config again = parse_ok(text);
    EXPECT_EQ(print(again), text) << path;
    for (auto* rules : {&again.firewall->input, &again.firewall->forward}) {
      for (auto& r : *rules) r.family.reset();
    }
    for (auto* rules : {&loaded.config->firewall->input, &loaded.config->firewall->forward}) {
      for (auto& r : *rules) r.family.reset();
    }
    EXPECT_EQ(again, *loaded.config) << path;
  }
}

TEST(Print, TheLongFormIsAFixedPoint) {
  LoadResult loaded = load(kBeagle);
  ASSERT_TRUE(loaded.config);
  const std::string once = print(*loaded.config);
  EXPECT_EQ(print(parse_ok(once)), once);
}

TEST(Print, TheLongFormFillsInEveryDefault) {
  const std::string text = print(parse_ok("node: r1\nvrrp:\n  instances:\n    - {name: A, interface: eth1, vrid: 1, "
                                          "virtual_addresses: [198.51.100.1/24]}\n"));
  for (const char* line : {"socket: /run/pairgate/control.sock", "mode: \"0660\"", "level: info", "target: auto",
                           "priority: 100", "advert_interval: 1s", "preempt: true", "preempt_delay: 0s",
                           "excluded_addresses: []", "garp: {delay: 5s, repeat: 5, refresh: 0s}", "track: []",
                           "sync_groups: []", "exec: []", "sysctl: {}", "tunnels: []"}) {
    EXPECT_THAT(text, HasSubstr(line)) << text;
  }
  // Sections that are off stay off.
  EXPECT_THAT(text, Not(HasSubstr("dhcp:")));
  EXPECT_THAT(text, Not(HasSubstr("firewall:")));
}

TEST(Print, TwoFilesThatMeanTheSameThingPrintTheSame) {
  const Config a = parse_ok(
      "node: r1\n"
      "dhcp:\n  subnets:\n    - {interface: eth1, subnet: 198.51.100.0/24, lease_time: 600s, max_lease_time: 2h}\n"
      "tunnels:\n  - {name: t0, wan_interface: eth0, aftr: 2001:db8::1, health: {interval: 2s}}\n"
      "firewall:\n  wan_interfaces: [eth0]\n  input: [{proto: icmp}, {from: 2001:db8::/32}]\n");
  const Config b = parse_ok(
      "# comments and key order do not count\n"
      "firewall:\n  input:\n    - {proto: icmp, family: ipv4}\n    - {from: 2001:db8::/32, proto: any, family: ipv6}\n"
      "  wan_interfaces: [eth0]\n  enabled: yes\n"
      "node: r1\n"
      "tunnels:\n  - name: t0\n    wan_interface: eth0\n    aftr: [2001:db8::1]\n    local: auto\n"
      "    encap_limit: none\n    health: {interval: 2000ms, timeout: 2s}\n"
      "dhcp:\n  lease_file: /var/lib/pairgate/dhcp4.leases\n"
      "  subnets:\n    - {interface: eth1, subnet: 198.51.100.0/24, lease_time: 10m, max_lease_time: 7200s}\n");
  EXPECT_EQ(print(a), print(b));
}

TEST(Print, TheShortFormLeavesOutDefaults) {
  PrintOptions o;
  o.defaults = false;
  const std::string text = print(parse_ok("node: r1\ncontrol: {group: adm}\n"), o);
  EXPECT_EQ(text, "node: r1\ncontrol:\n  group: adm\n");
}

TEST(Print, CommentsGoAfterTheirKeysAndForceThemOut) {
  PrintOptions o;
  o.defaults = false;
  o.header = "made by a test\nsecond line";
  o.comments["tunnels[t0].mtu"] = "the kernel's default was 1452";
  o.comments["tunnels[t0]"] = "from /etc/default/ipoe";
  o.comments["firewall.input[0]"] = "WAN_LOCAL-30";
  const std::string text =
      print(parse_ok("node: r1\ntunnels: [{name: t0, wan_interface: eth0, aftr: 2001:db8::1}]\n"
                     "firewall: {wan_interfaces: [eth0], input: [{proto: icmp}]}\n"),
            o);
  EXPECT_THAT(text, HasSubstr("# made by a test\n# second line\n"));
  EXPECT_THAT(text, HasSubstr("- name: t0  # from /etc/default/ipoe\n"));
  EXPECT_THAT(text, HasSubstr("mtu: 1460  # the kernel's default was 1452\n"));
  EXPECT_THAT(text, HasSubstr("- {proto: icmp}  # WAN_LOCAL-30\n"));
  EXPECT_EQ(parse_ok(text).tunnels.at(0).mtu, 1460u);
}

TEST(Print, ValuesThatNeedQuotingAreQuoted) {
  const Config c = parse_ok(
      "node: r1\n"
      "notify: {email: {to: [\"a@example.com\"], from: b@example.com, server: \"[2001:db8::25]:2525\"}}\n"
      "dhcp:\n  subnets:\n    - interface: eth1\n      subnet: 198.51.100.0/24\n"
      "      options: {custom: [{code: 66, text: \"tftp: x\"}]}\n"
      "      reservations: [{client_id: \"01:52:54:00:12:34:56\", address: 198.51.100.10, hostname: \"a b\"}]\n");
  const std::string text = print(c);
  EXPECT_THAT(text, HasSubstr("server: \"[2001:db8::25]:2525\""));
  EXPECT_EQ(parse_ok(text), c);
}

TEST(Print, VrrpVersion3KeysLoadAgain) {
  const Config c = parse_ok(
      "node: r1\nvrrp:\n  instances:\n"
      "    - {name: V, interface: eth0, vrid: 1, version: 3, advert_interval: 100ms, accept_mode: false,\n"
      "       virtual_addresses: [192.0.2.1/24], unicast_peers: [192.0.2.7]}\n");
  const std::string text = print(c);
  EXPECT_THAT(text, HasSubstr("version: 3"));
  EXPECT_THAT(text, HasSubstr("unicast_peers: [192.0.2.7]"));
  EXPECT_THAT(text, HasSubstr("accept_mode: false"));
  EXPECT_EQ(parse_ok(text), c);
}

TEST(Print, TheHttpSectionLoadsAgain) {
  const Config c = parse_ok("node: r1\nhttp:\n  listen: [127.0.0.1:9650, \"[2001:db8::1]:9650\"]\n  allow: [192.0.2.0/24]\n");
  const std::string text = print(c);
  EXPECT_THAT(text, HasSubstr("http:\n  listen: [127.0.0.1:9650, \"[2001:db8::1]:9650\"]\n  allow: [192.0.2.0/24]"));
  EXPECT_EQ(parse_ok(text), c);
  // The default allow is left to be computed from listen again.
  const Config d = parse_ok("node: r1\nhttp: {listen: [127.0.0.1:9650]}\n");
  EXPECT_THAT(print(d), Not(HasSubstr("allow")));
  EXPECT_EQ(parse_ok(print(d)), d);
  PrintOptions short_form;
  short_form.defaults = false;
  EXPECT_EQ(parse_ok(print(d, short_form)), d);
}

}  // namespace
}  // namespace pairgate::conf
