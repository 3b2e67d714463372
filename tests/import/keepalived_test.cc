// import/keepalived.cc: each directive, includes, and broken input with its file and line.
#include "import/keepalived.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "conf/duration.h"
#include "tests/import/support.h"

namespace pairgate::import {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

Partial run(std::map<std::string, std::string> files, const std::string& node = "beagle") {
  MapSources s(std::move(files));
  return import_keepalived(s, "/etc/keepalived/keepalived.conf", node);
}

Partial one(const std::string& text) { return run({{"/etc/keepalived/keepalived.conf", text}}); }

const char* kInstance = R"(vrrp_instance VI_1 {
  state BACKUP
  interface eth1
  virtual_router_id 51
  priority 150
  advert_int 2
  nopreempt
  preempt_delay 1.5
  authentication {
    auth_type PASS
    auth_pass secret12
  }
  virtual_ipaddress {
    198.51.100.1/24
    198.51.100.2 dev eth1
  }
  virtual_ipaddress_excluded {
    2001:db8::1/64
  }
  track_interface {
    eth0 weight -60
    eth2
    eth1
  }
  garp_master_delay 3
  garp_master_repeat 2
  garp_master_refresh 60
}
)";

TEST(Keepalived, EveryInstanceDirective) {
  auto p = one(kInstance);
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  ASSERT_TRUE(p.config.vrrp);
  ASSERT_EQ(p.config.vrrp->instances.size(), 1u);
  const auto& v = p.config.vrrp->instances[0];
  EXPECT_EQ(v.name, "VI_1");
  EXPECT_EQ(v.interface, "eth1");
  EXPECT_EQ(v.vrid, 51u);
  EXPECT_EQ(v.priority, 150u);
  EXPECT_EQ(v.advert_interval, 2s);
  EXPECT_FALSE(v.preempt);
  EXPECT_EQ(v.preempt_delay, 1500ms);
  EXPECT_EQ(v.auth_pass, "secret12");
  EXPECT_THAT(v.virtual_addresses, ElementsAre(*IpPrefix::parse("198.51.100.1/24"), *IpPrefix::parse("198.51.100.2/32")));
  EXPECT_THAT(v.excluded_addresses, ElementsAre(*IpPrefix::parse("2001:db8::1/64")));
  ASSERT_EQ(v.track.size(), 2u);  // its own interface is always followed
  EXPECT_EQ(v.track[0].name, "eth0");
  EXPECT_EQ(v.track[0].weight, -60);
  EXPECT_EQ(v.track[1].name, "eth2");
  EXPECT_FALSE(v.track[1].weight);
  EXPECT_EQ(v.garp.delay, 3s);
  EXPECT_EQ(v.garp.repeat, 2u);
  EXPECT_EQ(v.garp.refresh, 60s);
  EXPECT_TRUE(p.usable);
}

TEST(Keepalived, GlobalDefsSmtpAlertAndSyncGroup) {
  auto p = one(R"(global_defs {
  notification_email {
    a@example.com
    b@example.com
  }
  notification_email_from r1@example.com
  smtp_server 192.0.2.25 2525
  smtp_connect_timeout 20
  vrrp_garp_master_delay 1
}
vrrp_instance A { interface eth0
  virtual_router_id 1
  virtual_ipaddress { 192.0.2.1/24 }
  smtp_alert
}
vrrp_instance B {
  interface eth1
  virtual_router_id 2
  virtual_ipaddress { 198.51.100.1/24 }
  smtp_alert
}
vrrp_sync_group G {
  group {
    A
    B
  }
}
)");
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  ASSERT_TRUE(p.config.notify.email);
  EXPECT_THAT(p.config.notify.email->to, ElementsAre("a@example.com", "b@example.com"));
  EXPECT_EQ(p.config.notify.email->from, "r1@example.com");
  EXPECT_EQ(p.config.notify.email->server_host, "192.0.2.25");
  EXPECT_EQ(p.config.notify.email->server_port, 2525);
  EXPECT_EQ(p.config.notify.email->timeout, 20s);
  ASSERT_TRUE(p.config.vrrp);
  EXPECT_EQ(p.config.vrrp->instances[0].garp.delay, 1s);
  ASSERT_EQ(p.config.vrrp->sync_groups.size(), 1u);
  EXPECT_THAT(p.config.vrrp->sync_groups[0].instances, ElementsAre("A", "B"));
}

TEST(Keepalived, IncludesAreRelativeToTheIncludingFileAndGlobsWork) {
  auto p = run({{"/etc/keepalived/keepalived.conf", "include conf.d/*.conf\ninclude vrrp.conf\n"},
                {"/etc/keepalived/conf.d/a.conf", "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
                                                  " virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n"},
                {"/etc/keepalived/conf.d/b.conf", "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n"
                                                  " virtual_ipaddress {\n  192.0.2.2/24\n }\n}\n"},
                {"/etc/keepalived/vrrp.conf", "include /etc/keepalived/missing.conf\n"}});
  ASSERT_TRUE(p.config.vrrp);
  ASSERT_EQ(p.config.vrrp->instances.size(), 2u);
  EXPECT_EQ(p.config.vrrp->instances[0].name, "A");
  EXPECT_EQ(p.config.vrrp->instances[1].name, "B");
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/vrrp.conf:1: warning: ", "cannot read /etc/keepalived/missing.conf"));
}

TEST(Keepalived, AnIncludeLoopIsCutOnce) {
  auto p = run({{"/etc/keepalived/keepalived.conf", "include a.conf\n"},
                {"/etc/keepalived/a.conf", "include keepalived.conf\n"}});
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/a.conf:1: warning: ", "includes itself"));
  EXPECT_FALSE(p.usable);
}

TEST(Keepalived, ConditionalLinesFollowTheNode) {
  const std::string text =
      "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n"
      "@beagle priority 200\n@^beagle priority 100\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n";
  EXPECT_EQ(run({{"/etc/keepalived/keepalived.conf", text}}, "beagle").config.vrrp->instances[0].priority, 200u);
  EXPECT_EQ(run({{"/etc/keepalived/keepalived.conf", text}}, "primergy").config.vrrp->instances[0].priority, 100u);
}

struct NotCarried {
  const char* directive;  // inside vrrp_instance A
  const char* says;
};

class KeepalivedNotCarried : public ::testing::TestWithParam<NotCarried> {};

// Each directive with no equivalent: a warning at its line that says what to use instead.
TEST_P(KeepalivedNotCarried, WarnsAtItsLineWithWhatToDoInstead) {
  const std::string text = std::string("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n") +
                           GetParam().directive + "\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n";
  auto p = one(text);
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:4: warning: ", GetParam().says));
  EXPECT_TRUE(p.usable);
}

INSTANTIATE_TEST_SUITE_P(
    Directives, KeepalivedNotCarried,
    ::testing::Values(NotCarried{"track_script {\n  chk_wan\n }", "track: [{tunnel: NAME}]"},
                      NotCarried{"notify_master /usr/local/bin/up.sh", "when NEW is MASTER"},
                      NotCarried{"notify_backup \"/usr/local/bin/down.sh x\"", "when NEW is BACKUP"},
                      NotCarried{"notify_fault /x", "when NEW is FAULT"},
                      NotCarried{"notify /x", "adapt the script"},
                      NotCarried{"unicast_src_ip 192.0.2.8", "primary address"},
                      NotCarried{"use_vmac", "own MAC address"},
                      NotCarried{"unicast_peer { 2001:db8::9 }", "not of the virtual addresses' family"},
                      NotCarried{"advert_int 0.5", "whole seconds; 1s is used"},
                      NotCarried{"authentication {\n  auth_type AH\n  auth_pass x\n }", "knows only PASS"},
                      NotCarried{"priority 300", "expected a number 1..255"},
                      NotCarried{"virtual_routes {\n  0.0.0.0/0 via 192.0.2.254\n }", "routes are not moved"},
                      NotCarried{"track_interface { eth9 weight x }", "weight 'x' is not -254..254"},
                      NotCarried{"mystery_keyword 1", "mystery_keyword 1: not carried over"}));

// VRRPv3 (keepalived's vrrp_version 3 or version 3): sub-second intervals,
// IPv6 instances, unicast peers, accept mode.
TEST(Keepalived, VrrpVersion3InstancesCarryOver) {
  auto p = one(R"(global_defs {
  vrrp_version 3
}
vrrp_instance V4 {
  interface eth1
  virtual_router_id 51
  advert_int 0.1
  no_accept
  unicast_peer {
    198.51.100.3
    198.51.100.4 min_ttl 255
  }
  virtual_ipaddress {
    198.51.100.1/24
    2001:db8::1/64
  }
}
vrrp_instance V6 {
  interface eth1
  virtual_router_id 52
  advert_int 0.015
  virtual_ipaddress {
    fe80::1/64
    2001:db8::1/64
  }
}
vrrp_instance OLD {
  version 2
  interface eth1
  virtual_router_id 53
  virtual_ipaddress {
    2001:db8::2/64
    198.51.100.2/24
  }
}
)");
  ASSERT_TRUE(p.config.vrrp);
  ASSERT_EQ(p.config.vrrp->instances.size(), 3u);
  const auto& v4 = p.config.vrrp->instances[0];
  EXPECT_EQ(v4.version, 3u);
  EXPECT_EQ(v4.advert_interval, 100ms);
  EXPECT_FALSE(v4.accept_mode);
  ASSERT_EQ(v4.unicast_peers.size(), 2u);
  EXPECT_EQ(v4.unicast_peers[1].to_string(), "198.51.100.4");
  ASSERT_EQ(v4.virtual_addresses.size(), 1u);
  ASSERT_EQ(v4.excluded_addresses.size(), 1u) << "one instance, one family";
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:11: warning: ", "'min_ttl' and what follows"));
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:15: warning: ", "make a second instance"));
  const auto& v6 = p.config.vrrp->instances[1];
  EXPECT_EQ(v6.version, 3u);
  EXPECT_EQ(v6.advert_interval, 20ms) << "rounded to centiseconds";
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:21: warning: ", "steps of 10ms"));
  ASSERT_EQ(v6.virtual_addresses.size(), 2u);
  EXPECT_EQ(v6.virtual_addresses[0].to_string(), "fe80::1/64");
  const auto& old = p.config.vrrp->instances[2];
  EXPECT_EQ(old.version, 2u);
  ASSERT_EQ(old.virtual_addresses.size(), 1u);
  EXPECT_EQ(old.virtual_addresses[0].to_string(), "198.51.100.2/24");
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:32: warning: ", "set vrrp_version 3"));
}

TEST(Keepalived, TopLevelBlocksWithoutEquivalent) {
  auto p = one("vrrp_script chk { script /bin/true }\nvirtual_server 192.0.2.1 80 {\n delay_loop 6\n}\n");
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:1: warning: vrrp_script chk", "tunnels[].health"));
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:2: warning: virtual_server", "no load balancer"));
  EXPECT_FALSE(p.usable);
}

TEST(Keepalived, MailNeedsSmtpAlertAndRecipients) {
  auto no_alert = one("global_defs {\n notification_email {\n  a@example.com\n }\n}\n"
                      "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n");
  EXPECT_FALSE(no_alert.config.notify.email);
  EXPECT_THAT(no_alert.warnings, HasWarning("/etc/keepalived/keepalived.conf:2: warning: ", "no instance has smtp_alert"));
  auto some = one("global_defs {\n notification_email {\n  a@example.com\n }\n}\n"
                  "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n smtp_alert\n"
                  " virtual_ipaddress {\n  192.0.2.1/24\n }\n}\n"
                  "vrrp_instance B {\n interface eth0\n virtual_router_id 2\n virtual_ipaddress {\n  192.0.2.2/24\n }\n}\n");
  ASSERT_TRUE(some.config.notify.email);
  EXPECT_EQ(some.config.notify.email->from, "keepalived@beagle");
  EXPECT_THAT(some.warnings, HasWarning("/etc/keepalived/keepalived.conf:2: warning: ", "some instances only"));
}

struct Broken {
  const char* text;
  const char* prefix;  // FILE:LINE: warning:
  const char* says;
};

class KeepalivedBroken : public ::testing::TestWithParam<Broken> {};

TEST_P(KeepalivedBroken, WarnsWithFileAndLine) {
  auto p = one(GetParam().text);
  EXPECT_THAT(p.warnings, HasWarning(GetParam().prefix, GetParam().says));
}

INSTANTIATE_TEST_SUITE_P(
    Input, KeepalivedBroken,
    ::testing::Values(
        Broken{"vrrp_instance A {\n interface eth0\n", "/etc/keepalived/keepalived.conf:2: warning: ", "not closed"},
        Broken{"}\n", "/etc/keepalived/keepalived.conf:1: warning: ", "without a block"},
        Broken{"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n}\n",
               "/etc/keepalived/keepalived.conf:1: warning: ", "needs interface, virtual_router_id"},
        Broken{"vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  nonsense\n }\n}\n",
               "/etc/keepalived/keepalived.conf:5: warning: ", "'nonsense' is not an address"},
        Broken{"vrrp_instance A {\n notify \"/x\n}\n", "/etc/keepalived/keepalived.conf:2: warning: ", "not closed"},
        Broken{"vrrp_instance bad/name {\n}\n", "/etc/keepalived/keepalived.conf:1: warning: ", "without spaces or '/'"},
        Broken{"{\n}\n", "/etc/keepalived/keepalived.conf:1: warning: ", "without a keyword"},
        Broken{"vrrp_sync_group G {\n group {\n  NOPE\n }\n}\n", "/etc/keepalived/keepalived.conf:3: warning: ",
               "no vrrp_instance NOPE"},
        Broken{"include\n", "/etc/keepalived/keepalived.conf:1: warning: ", "no file named"}));

TEST(Keepalived, DeepNestingAndManyStatementsAreBounded) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "a {\n";
  auto p = one(deep);
  EXPECT_THAT(p.warnings, HasWarning("/etc/keepalived/keepalived.conf:", "nested more than 32 deep"));
  std::string many;
  for (std::size_t i = 0; i < kMaxItems + 5; ++i) many += "x\n";
  auto q = one(many);
  EXPECT_THAT(q.warnings, HasWarning("/etc/keepalived/keepalived.conf:" + std::to_string(kMaxItems + 1) + ": warning: ",
                                     "the rest is not read"));
}

}  // namespace
}  // namespace pairgate::import
