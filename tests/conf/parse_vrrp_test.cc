// conf/parse_vrrp.cc and validate.cc's VRRP checks for version 3, unicast
// peers and accept_mode: values read, and each mistake with its exact
// position and message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "conf/parser.h"

namespace pairgate::conf {
namespace {

using namespace std::chrono_literals;

// Line 4 holds the instance's keys (one flow mapping), so errors in it are
// at line 4; line 5 holds a second instance.
std::string file(const std::string& keys, const std::string& second = "") {
  return "node: t\nvrrp:\n  instances:\n    - {name: V1, interface: eth0, vrid: 1, " + keys + "}\n" +
         (second.empty() ? "" : "    - {name: V2, interface: eth0, vrid: 1, " + second + "}\n");
}

const VrrpInstance& first(const LoadResult& r) { return r.config->vrrp->instances.front(); }

TEST(ParseVrrp, Version2IsTheDefaultAndTheSeedsFilesStayAsTheyWere) {
  auto r = parse(file("virtual_addresses: [192.0.2.2/24]"), "t.yaml");
  ASSERT_TRUE(r.config) << r.report();
  EXPECT_EQ(first(r).version, 2u);
  EXPECT_EQ(first(r).advert_interval, 1s);
  EXPECT_TRUE(first(r).unicast_peers.empty());
  EXPECT_TRUE(first(r).accept_mode);
}

TEST(ParseVrrp, Version3Keys) {
  auto r = parse(file("version: 3, advert_interval: 100ms, accept_mode: false, "
                      "virtual_addresses: [2001:db8::2/64, 2001:db8::3/64], unicast_peers: [fe80::4, 2001:db8::4]"),
                 "t.yaml");
  ASSERT_TRUE(r.config) << r.report();
  const auto& v = first(r);
  EXPECT_EQ(v.version, 3u);
  EXPECT_EQ(v.advert_interval, 100ms);
  EXPECT_FALSE(v.accept_mode);
  EXPECT_THAT(v.unicast_peers, ::testing::ElementsAre(*IpAddress::parse("fe80::4"), *IpAddress::parse("2001:db8::4")));
  for (const char* ok : {"10ms", "40950ms", "1s", "250ms"}) {
    auto r2 = parse(file(std::string("version: 3, advert_interval: ") + ok + ", virtual_addresses: [192.0.2.2/24]"), "t.yaml");
    EXPECT_TRUE(r2.config) << ok << r2.report();
  }
}

TEST(ParseVrrp, IPv4AndIPv6InstancesMayShareAVridAndASyncGroup) {
  auto r = parse(file("version: 3, virtual_addresses: [192.0.2.2/24]",
                      "version: 3, virtual_addresses: [2001:db8::2/64]") +
                     "  sync_groups:\n    - {name: G, instances: [V1, V2]}\n",
                 "t.yaml");
  EXPECT_TRUE(r.config) << r.report();
}

struct Case {
  const char* name;
  std::string text;
  int line, column;
  const char* message;
};

class VrrpError : public ::testing::TestWithParam<Case> {};

TEST_P(VrrpError, IsExact) {
  const Case& c = GetParam();
  auto r = parse(c.text, "t.yaml");
  SCOPED_TRACE(r.report());
  ASSERT_FALSE(r.errors.empty());
  EXPECT_EQ(r.errors[0], (Diagnostic{"t.yaml", c.line, c.column, c.message}));
}

// The keys start at column 44 of line 4; each error points at the value.
INSTANTIATE_TEST_SUITE_P(
    Conf, VrrpError,
    ::testing::Values(
        Case{"version_4", file("version: 4, virtual_addresses: [192.0.2.2/24]"), 4, 53,
             "version: 4 is out of range 2..3"},
        Case{"v3_interval_too_short", file("version: 3, advert_interval: 5ms, virtual_addresses: [192.0.2.2/24]"), 4, 73,
             "advert_interval: 5ms is out of range 10ms..40950ms"},
        Case{"v3_interval_too_long", file("version: 3, advert_interval: 41s, virtual_addresses: [192.0.2.2/24]"), 4, 73,
             "advert_interval: 41s is out of range 10ms..40950ms"},
        Case{"v3_interval_not_centiseconds", file("version: 3, advert_interval: 105ms, virtual_addresses: [192.0.2.2/24]"),
             4, 73,
             "advert_interval: 105ms is not a whole number of centiseconds (VRRPv3 advertises 10ms..40950ms in steps of "
             "10ms)"},
        Case{"v2_interval_in_ms", file("advert_interval: 100ms, virtual_addresses: [192.0.2.2/24]"), 4, 61,
             "advert_interval: 100ms is out of range 1s..255s for VRRPv2 (version: 3 advertises from 10ms)"},
        Case{"v3_mixed_families", file("version: 3, virtual_addresses: [192.0.2.2/24, 2001:db8::2/64]"), 4, 90,
             "virtual_addresses: 2001:db8::2/64 is IPv6 but 192.0.2.2/24 is not; one instance carries one family "
             "(make two instances; they may share a sync group)"},
        Case{"v3_auth_pass", file("version: 3, auth_pass: secret, virtual_addresses: [192.0.2.2/24]"), 4, 67,
             "auth_pass: VRRPv3 has no authentication (RFC 5798 §9); remove auth_pass or use version: 2"},
        Case{"v3_link_local_not_first", file("version: 3, virtual_addresses: [2001:db8::2/64, fe80::1/64]"), 4, 92,
             "vrrp instance V1: link-local virtual address fe80::1 must come first (RFC 5798 §5.2.9), or be left out to "
             "use the derived one"},
        Case{"peer_of_the_other_family", file("virtual_addresses: [192.0.2.2/24], unicast_peers: [2001:db8::4]"), 4, 95,
             "vrrp instance V1: unicast peer 2001:db8::4 is IPv6 but the virtual addresses are IPv4"},
        Case{"peer_twice", file("virtual_addresses: [192.0.2.2/24], unicast_peers: [192.0.2.4, 192.0.2.4]"), 4, 106,
             "vrrp instance V1: unicast peer 192.0.2.4 is listed twice"},
        Case{"peer_multicast", file("virtual_addresses: [192.0.2.2/24], unicast_peers: [224.0.0.18]"), 4, 95,
             "vrrp instance V1: unicast peer 224.0.0.18 is not a unicast address"},
        Case{"peer_is_a_vip", file("virtual_addresses: [192.0.2.2/24], unicast_peers: [192.0.2.2]"), 4, 95,
             "vrrp instance V1: unicast peer 192.0.2.2 is one of its virtual addresses"},
        Case{"peer_not_an_address", file("virtual_addresses: [192.0.2.2/24], unicast_peers: [peer1]"), 4, 95,
             "unicast_peers: expected an IPv4 or IPv6 address, got 'peer1'"},
        Case{"same_vrid_same_family", file("version: 3, virtual_addresses: [2001:db8::2/64]",
                                           "version: 3, virtual_addresses: [2001:db8::3/64]"),
             5, 41, "vrrp instance V2: vrid 1 on eth0 is already used by V1"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace pairgate::conf
