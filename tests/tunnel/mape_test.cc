// tunnel/tunnel as `type: mape` (tunnel/mape.h) against a stateful gmock
// netlink: the CE address on the WAN, the link CE -> BR with the CE's IPv4
// address, the mapping published; renumbering moves all of it without a
// restart; a shared (vrrp_instance) tunnel holds it only while MASTER.
#include "tunnel/tunnel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_addr.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "tests/mocks/mock_netlink.h"
#include "tests/support/manual_clock.h"

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::NiceMock;
using ::testing::Return;

constexpr int kWan = 2;
constexpr int kLink = 9;

IpPrefix pfx(const char* s) { return *IpPrefix::parse(s); }

class MapeTunnelTest : public ::testing::Test {
 protected:
  MapeTunnelTest() {
    config.name = "mape0";
    config.type = "mape";
    config.wan_interface = "wan0";
    config.ipv4_address.reset();
    conf::Mape m;
    m.br = *Ipv6Address::parse("2001:db8:ffff::1");
    // RFC 7597 shaped: r6 40, r4 24, EA 16 -> 8 IPv4 bits, k = 8, a = 4: 15 sets of 16 ports.
    m.rules = {{pfx("2001:db8::/40"), pfx("198.51.100.0/24"), 16, 4}};
    config.mape = m;
    config.health.interval = 100ms;
    config.health.timeout = 50ms;
    config.health.targets = {*Ipv4Address::parse("203.0.113.1")};
    LinkInfo wan{kWan, "wan0", true, true, {}, 1500, "veth"};
    ON_CALL(nl, link(std::string_view("wan0"))).WillByDefault(Return(wan));
    ON_CALL(nl, link(kWan)).WillByDefault(Return(wan));
    wan_addresses = {{kWan, pfx("2001:db8:12:3456::5/64"), IFA_F_MANAGETEMPADDR, 0, ""}};
    ON_CALL(nl, addresses(std::optional<int>(kWan), std::optional<Family>(Family::ipv6))).WillByDefault([this] {
      return wan_addresses;
    });
    ON_CALL(nl, add_address(_, _, _)).WillByDefault([this](int ifindex, const IpPrefix& p, const AddressOptions& o) {
      added.push_back({ifindex, p, o.flags, 0, ""});
      if (ifindex == kWan) wan_addresses.push_back({kWan, p, o.flags | IFA_F_PERMANENT, 0, ""});
      return std::error_code();
    });
    ON_CALL(nl, remove_address(_, _)).WillByDefault([this](int ifindex, const IpPrefix& p) {
      removed.push_back({ifindex, p, 0, 0, ""});
      std::erase_if(wan_addresses, [&](const AddressInfo& a) { return ifindex == kWan && a.prefix == p; });
      return std::error_code();
    });
    ON_CALL(nl, ip6_tunnel(std::string_view("mape0"))).WillByDefault([this] { return link; });
    ON_CALL(nl, add_ip6_tunnel(_)).WillByDefault([this](const Ip6TunnelParams& p) {
      link = p;
      link->index = kLink;
      ++links_added;
      return std::error_code();
    });
    ON_CALL(nl, change_ip6_tunnel(kLink, _)).WillByDefault([this](int, const Ip6TunnelParams& p) {
      link = p;
      link->index = kLink;
      ++links_changed;
      return std::error_code();
    });
    ON_CALL(nl, remove_link(kLink)).WillByDefault([this](int) {
      link.reset();
      return std::error_code();
    });
    hooks.send_probe = [](const IpAddress&, std::uint16_t, std::uint16_t, int) {};
    hooks.publish = [](const std::string&, State, const std::string&) {};
    hooks.announce = [this](int ifindex, const Ipv6Address& a) { announced.push_back({ifindex, a}); };
    hooks.publish_map = [this](const std::string& t, const std::string&, const nlohmann::json& d) {
      EXPECT_EQ(t, "mape0");
      events.push_back(d);
    };
  }

  bool on_wan(const char* prefix) const {
    return std::any_of(wan_addresses.begin(), wan_addresses.end(),
                       [&](const AddressInfo& a) { return a.prefix == pfx(prefix); });
  }

  boost::asio::io_context io;
  testing::ManualClock timers;
  NiceMock<testing::MockNetlink> nl;
  conf::Tunnel config;
  std::vector<AddressInfo> wan_addresses;
  std::vector<AddressInfo> added, removed;
  std::optional<Ip6TunnelParams> link;
  int links_added = 0, links_changed = 0;
  TunnelHooks hooks;
  std::vector<nlohmann::json> events;
  std::vector<std::pair<int, Ipv6Address>> announced;
};

// The CE of 2001:db8:12:3456::/64: EA bits 0x1234 -> 198.51.100.18, PSID 0x34.
constexpr const char* kCe = "2001:db8:12:3456:0:c633:6412:34";

TEST_F(MapeTunnelTest, StartPutsTheCeAddressOnTheWanAndTheLinkToTheBr) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  EXPECT_TRUE(on_wan("2001:db8:12:3456:0:c633:6412:34/128"));
  auto ce = std::find_if(added.begin(), added.end(), [](const AddressInfo& a) { return a.ifindex == kWan; });
  ASSERT_NE(ce, added.end());
  EXPECT_TRUE(ce->flags & IFA_F_NODAD);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->local.to_string(), kCe);
  EXPECT_EQ(link->remote.to_string(), "2001:db8:ffff::1");
  EXPECT_EQ(link->link, kWan);
  EXPECT_EQ(link->proto, 4);
  EXPECT_EQ(link->mtu, 1460u);
  EXPECT_FALSE(link->encap_limit) << "encap limit none";
  EXPECT_TRUE(std::any_of(added.begin(), added.end(), [](const AddressInfo& a) {
    return a.ifindex == kLink && a.prefix == pfx("198.51.100.18/32");
  }));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["active"], true);
  EXPECT_EQ(events[0]["ipv4"], "198.51.100.18");
  EXPECT_EQ(events[0]["psid"], 0x34);
  EXPECT_EQ(events[0]["psid_length"], 8);
  EXPECT_EQ(events[0]["port_sets"].size(), 15u);
  EXPECT_EQ(events[0]["port_sets"][0], nlohmann::json({4928, 4943}));
  EXPECT_EQ(events[0]["ce_ipv6"], kCe);
  EXPECT_EQ(events[0]["br"], "2001:db8:ffff::1");
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["type"], "mape");
  EXPECT_EQ(j["local"], kCe);
  EXPECT_EQ(j["remote"], "2001:db8:ffff::1");
  EXPECT_EQ(j["ipv4_address"], "198.51.100.18/32");
  EXPECT_EQ(j["map"]["port_count"], 240);
  EXPECT_EQ(j["map"]["delegated_prefix"], "2001:db8:12:3456::/64");
  EXPECT_EQ(j["map"]["interface_id"], "rfc7597");
  // Events that change nothing publish nothing and move nothing.
  t.on_resync();
  t.on_address({false, wan_addresses.back()});
  EXPECT_EQ(events.size(), 1u);
  EXPECT_EQ(links_added, 1);
  EXPECT_EQ(links_changed, 0);
}

TEST_F(MapeTunnelTest, RenumberingMovesTheCeAddressLinkAndMappingWithoutARestart) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  ASSERT_EQ(events.size(), 1u);
  // The WAN's prefix changes (a new RA; the old address goes).
  std::erase_if(wan_addresses, [](const AddressInfo& a) { return a.prefix == pfx("2001:db8:12:3456::5/64"); });
  wan_addresses.push_back({kWan, pfx("2001:db8:56:7800::5/64"), IFA_F_MANAGETEMPADDR, 0, ""});
  t.on_address({false, wan_addresses.back()});
  constexpr const char* kNewCe = "2001:db8:56:7800:0:c633:6456:78";
  EXPECT_FALSE(on_wan("2001:db8:12:3456:0:c633:6412:34/128")) << "the old CE address is removed";
  EXPECT_TRUE(on_wan("2001:db8:56:7800:0:c633:6456:78/128"));
  ASSERT_TRUE(link);
  EXPECT_EQ(link->local.to_string(), kNewCe);
  EXPECT_EQ(links_added, 1) << "the link is changed, not made anew";
  EXPECT_EQ(links_changed, 1);
  EXPECT_TRUE(std::any_of(removed.begin(), removed.end(), [](const AddressInfo& a) {
    return a.ifindex == kLink && a.prefix == pfx("198.51.100.18/32");
  }));
  EXPECT_TRUE(std::any_of(added.begin(), added.end(), [](const AddressInfo& a) {
    return a.ifindex == kLink && a.prefix == pfx("198.51.100.86/32");
  }));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["ipv4"], "198.51.100.86");
  EXPECT_EQ(events[1]["psid"], 0x78);
  EXPECT_EQ(events[1]["ce_ipv6"], kNewCe);
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["map"]["ipv4"], "198.51.100.86");
  EXPECT_EQ(j["counters"]["map_changes"], 2);
}

TEST_F(MapeTunnelTest, APrefixNoRuleCoversIsAHaltAndAWithdrawal) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  std::erase_if(wan_addresses, [](const AddressInfo& a) { return a.prefix.length() == 64; });
  wan_addresses.push_back({kWan, pfx("2001:db9:1::5/64"), IFA_F_MANAGETEMPADDR, 0, ""});
  t.on_address({false, wan_addresses.back()});
  EXPECT_EQ(t.state(), State::down);
  EXPECT_THAT(t.reason(), ::testing::HasSubstr("2001:db9:1::/64"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["active"], false);
  EXPECT_EQ(events[1]["ipv4"], "198.51.100.18") << "the mapping withdrawn";
  EXPECT_FALSE(link) << "no mapping, no link";
  EXPECT_FALSE(on_wan("2001:db8:12:3456:0:c633:6412:34/128"));
}

TEST_F(MapeTunnelTest, AConfiguredPrefixIgnoresTheWanAddress) {
  config.mape->prefix = pfx("2001:db8:12:3400::/56");
  config.mape->interface_id = InterfaceIdForm::draft03;
  wan_addresses.clear();  // none needed
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  ASSERT_TRUE(link);
  EXPECT_EQ(link->local.to_string(), "2001:db8:12:3400:c6:3364:1200:3400");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["ipv4"], "198.51.100.18");
}

TEST_F(MapeTunnelTest, StopRemovesTheCeAddressAndWithdrawsTheMapping) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  t.stop();
  EXPECT_FALSE(on_wan("2001:db8:12:3456:0:c633:6412:34/128"));
  EXPECT_FALSE(link);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["active"], false);
}

TEST_F(MapeTunnelTest, SomeoneRemovingTheCeAddressGetsItPutBack) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  const AddressInfo ce{kWan, pfx("2001:db8:12:3456:0:c633:6412:34/128"), IFA_F_NODAD, 0, ""};
  std::erase_if(wan_addresses, [&](const AddressInfo& a) { return a.prefix == ce.prefix; });
  t.on_address({true, ce});
  EXPECT_TRUE(on_wan("2001:db8:12:3456:0:c633:6412:34/128"));
}

TEST_F(MapeTunnelTest, AReloadWithAnotherRuleRecomputesInPlace) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  ASSERT_EQ(events.size(), 1u);
  auto changed = config;
  changed.mape->rules[0].ipv4_prefix = pfx("203.0.113.0/24");
  t.reconfigure(changed);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1]["ipv4"], "203.0.113.18");
  EXPECT_EQ(links_added, 1) << "the link is kept";
  EXPECT_TRUE(std::any_of(added.begin(), added.end(), [](const AddressInfo& a) {
    return a.ifindex == kLink && a.prefix == pfx("203.0.113.18/32");
  }));
}

// Both routers on one /64 compute the same CE: only the MASTER holds it.
TEST_F(MapeTunnelTest, ASharedCeAddressIsHeldOnlyWhileMaster) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.share_with("V");
  t.start();
  EXPECT_FALSE(on_wan("2001:db8:12:3456:0:c633:6412:34/128")) << "BACKUP: not ours";
  EXPECT_FALSE(link);
  ASSERT_EQ(events.size(), 1u) << "the mapping is published all the same (the firewall keeps the NAT ready)";
  EXPECT_TRUE(announced.empty());
  t.set_held(true, timers.now());
  EXPECT_TRUE(on_wan("2001:db8:12:3456:0:c633:6412:34/128"));
  ASSERT_EQ(announced.size(), 1u) << "an unsolicited NA at takeover";
  EXPECT_EQ(announced[0].first, kWan);
  EXPECT_EQ(announced[0].second.to_string(), kCe);
  ASSERT_TRUE(link);
  EXPECT_EQ(link->local.to_string(), kCe);
  t.set_held(false, timers.now());
  EXPECT_FALSE(on_wan("2001:db8:12:3456:0:c633:6412:34/128"));
  EXPECT_FALSE(link);
  EXPECT_EQ(events.size(), 1u);
}

}  // namespace
}  // namespace pairgate::tunnel
