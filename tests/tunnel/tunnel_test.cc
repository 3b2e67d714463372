// tunnel/tunnel against the gmock netlink: what reaches the kernel.
#include "tunnel/tunnel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <netlink/errno.h>

#include <nlohmann/json.hpp>

#include "tests/mocks/mock_netlink.h"
#include "tests/support/manual_clock.h"

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::AllOf;
using ::testing::Field;
using ::testing::NiceMock;
using ::testing::Return;

constexpr int kWan = 2;
constexpr int kLink = 9;

AddressInfo v6(const char* a, std::uint32_t flags) { return {kWan, IpPrefix(*IpAddress::parse(a), 64), flags, 0, ""}; }

class TunnelTest : public ::testing::Test {
 protected:
  TunnelTest() {
    config.name = "ip6tnl1";
    config.wan_interface = "wan0";
    config.aftr_addresses = {*Ipv6Address::parse("2001:db8:a::100"), *Ipv6Address::parse("2001:db8:a::101")};
    config.health.interval = 100ms;
    config.health.timeout = 50ms;
    config.health.up_after = 1;
    config.health.down_after = 2;
    config.health.targets = {*Ipv4Address::parse("203.0.113.1")};
    LinkInfo wan{kWan, "wan0", true, true, {}, 1500, "veth"};
    ON_CALL(nl, link(std::string_view("wan0"))).WillByDefault(Return(wan));
    ON_CALL(nl, link(kWan)).WillByDefault(Return(wan));
    addresses = {v6("2001:db8:1::5", IFA_F_MANAGETEMPADDR), v6("2001:db8:1::77", IFA_F_TEMPORARY)};
    ON_CALL(nl, addresses(std::optional<int>(kWan), std::optional<Family>(Family::ipv6))).WillByDefault([this] {
      return addresses;
    });
    hooks.send_probe = [this](const IpAddress& d, std::uint16_t, std::uint16_t seq, int ifindex) {
      probes.push_back({d, seq, ifindex});
    };
    hooks.publish = [this](const std::string&, State s, const std::string& r) { published.push_back({s, r}); };
  }

  Ip6TunnelParams existing(const char* local, const char* remote) {
    Ip6TunnelParams p;
    p.name = "ip6tnl1";
    p.index = kLink;
    p.link = kWan;
    p.local = *Ipv6Address::parse(local);
    p.remote = *Ipv6Address::parse(remote);
    return p;
  }

  struct Probe {
    IpAddress destination;
    std::uint16_t sequence;
    int ifindex;
  };

  boost::asio::io_context io;
  testing::ManualClock timers;
  NiceMock<testing::MockNetlink> nl;
  conf::Tunnel config;
  std::vector<AddressInfo> addresses;
  TunnelHooks hooks;
  std::vector<Probe> probes;
  std::vector<std::pair<State, std::string>> published;
};

TEST_F(TunnelTest, AKernelWithoutIp6TunnelGivesOneErrorAndNoRetries) {
  EXPECT_CALL(nl, add_ip6_tunnel(_)).Times(1).WillOnce(Return(std::error_code(NLE_OPNOTSUPP, libnl_category())));
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  EXPECT_EQ(t.state(), State::down);
  EXPECT_EQ(t.reason(), kNoKernelSupport);
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.back().second, kNoKernelSupport);
  // Events and time do not bring it back.
  t.on_address({false, v6("2001:db8:1::6", IFA_F_PERMANENT)});
  t.on_resync();
  timers.advance(300ms);
  EXPECT_TRUE(probes.empty());
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["reason"], kNoKernelSupport);
}

TEST_F(TunnelTest, CreatesTheLinkWithEveryParameter) {
  Ip6TunnelParams sent;
  EXPECT_CALL(nl, add_ip6_tunnel(_)).WillOnce([&](const Ip6TunnelParams& p) {
    sent = p;
    return std::error_code();
  });
  EXPECT_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1")))
      .WillOnce(Return(std::nullopt))
      .WillRepeatedly(Return(existing("2001:db8:1::5", "2001:db8:a::100")));
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  EXPECT_EQ(sent.name, "ip6tnl1");
  EXPECT_EQ(sent.link, kWan);
  EXPECT_EQ(sent.local.to_string(), "2001:db8:1::5") << "the SLAAC template, not the temporary address";
  EXPECT_EQ(sent.remote.to_string(), "2001:db8:a::100");
  EXPECT_EQ(sent.proto, 4) << "IPPROTO_IPIP, not 0 (any)";
  EXPECT_FALSE(sent.encap_limit);
  EXPECT_EQ(sent.mtu, 1460u);
  ASSERT_EQ(probes.size(), 2u);
  EXPECT_EQ(probes[0].destination.to_string(), "2001:db8:a::100");
  EXPECT_EQ(probes[0].ifindex, kWan);
  EXPECT_EQ(probes[1].destination.to_string(), "203.0.113.1");
  EXPECT_EQ(probes[1].ifindex, kLink);
}

TEST_F(TunnelTest, AnExistingLinkWithOtherParametersIsCorrectedNotDuplicated) {
  config.encap_limit = 4;
  auto old = existing("2001:db8:1::99", "2001:db8:a::100");
  old.proto = 0;
  EXPECT_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillRepeatedly(Return(old));
  EXPECT_CALL(nl, add_ip6_tunnel(_)).Times(0);
  EXPECT_CALL(nl, change_ip6_tunnel(kLink, AllOf(Field(&Ip6TunnelParams::proto, 4),
                                                 Field(&Ip6TunnelParams::encap_limit, std::optional<std::uint8_t>(4)),
                                                 Field(&Ip6TunnelParams::local, *Ipv6Address::parse("2001:db8:1::5")),
                                                 Field(&Ip6TunnelParams::mtu, 1460u))))
      .Times(1);
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
}

TEST_F(TunnelTest, RenumberingMovesTheTunnelToTheNewAddress) {
  std::optional<Ip6TunnelParams> have = existing("2001:db8:1::5", "2001:db8:a::100");
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault([&] { return have; });
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  addresses = {v6("2001:db8:1::5", IFA_F_MANAGETEMPADDR | IFA_F_DEPRECATED), v6("2001:db8:2::5", IFA_F_MANAGETEMPADDR)};
  EXPECT_CALL(nl, change_ip6_tunnel(kLink, Field(&Ip6TunnelParams::local, *Ipv6Address::parse("2001:db8:2::5"))))
      .WillOnce([&](int, const Ip6TunnelParams& p) {
        have = p;
        have->index = kLink;
        return std::error_code();
      });
  t.on_address({false, addresses[1]});
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["local"], "2001:db8:2::5");
}

TEST_F(TunnelTest, WaitsForAnAddressWithoutPolling) {
  addresses = {v6("2001:db8:1::5", IFA_F_TENTATIVE)};
  EXPECT_CALL(nl, add_ip6_tunnel(_)).Times(0);
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  EXPECT_EQ(t.reason(), "waiting for a stable global IPv6 address on wan0");
  timers.advance(200ms);
  EXPECT_EQ(timers.armed(), 0u) << "nothing polls";
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  addresses = {v6("2001:db8:1::5", IFA_F_MANAGETEMPADDR)};  // DAD done
  EXPECT_CALL(nl, add_ip6_tunnel(Field(&Ip6TunnelParams::local, *Ipv6Address::parse("2001:db8:1::5")))).Times(1);
  t.on_address({false, addresses[0]});
}

TEST_F(TunnelTest, DefaultRouteWhileUpAndThePreviousOneBackOnStop) {
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault(Return(existing("2001:db8:1::5", "2001:db8:a::100")));
  RouteInfo previous{IpPrefix(Ipv4Address(), 0), *IpAddress::parse("192.0.2.1"), kWan, 254, 4, 0, std::nullopt};
  ON_CALL(nl, routes(Family::ipv4, 254u)).WillByDefault(Return(std::vector<RouteInfo>{previous}));
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  ::testing::InSequence order;
  EXPECT_CALL(nl, add_route(AllOf(Field(&RouteInfo::oif, kLink), Field(&RouteInfo::gateway, std::nullopt)), true));
  t.on_reply(probes[0].destination, probes[0].sequence);
  t.on_reply(probes[1].destination, probes[1].sequence);  // the round is complete; up_after 1
  EXPECT_EQ(t.state(), State::up);
  EXPECT_EQ(published.back().first, State::up);
  EXPECT_CALL(nl, remove_route(Field(&RouteInfo::oif, kLink)));
  EXPECT_CALL(nl, add_route(previous, true));
  EXPECT_CALL(nl, remove_link(kLink));
  t.stop();
}

// A WAN flap takes the tunnel DOWN while the WAN is down, when the kernel
// refuses the previous default route (its interface is down): it is put
// back once the interface is up, not lost (seen in the guest: no IPv4
// default route left after the flap).
TEST_F(TunnelTest, ThePreviousDefaultRouteComesBackAfterAWanFlap) {
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault(Return(existing("2001:db8:1::5", "2001:db8:a::100")));
  RouteInfo previous{IpPrefix(Ipv4Address(), 0), *IpAddress::parse("192.0.2.1"), kWan, 254, 4, 0, std::nullopt};
  ON_CALL(nl, routes(Family::ipv4, 254u)).WillByDefault(Return(std::vector<RouteInfo>{previous}));
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  t.on_reply(probes[0].destination, probes[0].sequence);
  t.on_reply(probes[1].destination, probes[1].sequence);
  ASSERT_EQ(t.state(), State::up);
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  LinkInfo down{kWan, "wan0", true, false, {}, 1500, "veth"};
  {
    ::testing::InSequence order;
    EXPECT_CALL(nl, remove_route(Field(&RouteInfo::oif, kLink)));
    EXPECT_CALL(nl, add_route(previous, true)).WillOnce(Return(std::error_code(ENETDOWN, std::generic_category())));
  }
  t.on_link({false, down});
  EXPECT_EQ(t.state(), State::down);
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  EXPECT_CALL(nl, add_route(previous, true)).Times(1);
  LinkInfo up{kWan, "wan0", true, true, {}, 1500, "veth"};
  t.on_link({false, up});
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  EXPECT_CALL(nl, add_route(previous, true)).Times(0);  // once back, not again
  t.on_link({false, up});
}

// RFC 6333 §5.7: the B4 address goes on the link before anything is sent
// through it, and the default route names it as the source, so a host
// without any other IPv4 address has one for its probes and its own traffic.
TEST_F(TunnelTest, TheB4AddressIsOnTheLinkAndTheSourceOfTheRoute) {
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault(Return(existing("2001:db8:1::5", "2001:db8:a::100")));
  const auto b4 = *IpPrefix::parse("192.0.0.2/29");
  {
    ::testing::InSequence order;
    EXPECT_CALL(nl, add_address(kLink, b4, _)).Times(1);
    EXPECT_CALL(nl, add_route(AllOf(Field(&RouteInfo::oif, kLink),
                                    Field(&RouteInfo::source, std::optional<IpAddress>(*IpAddress::parse("192.0.0.2")))),
                              true))
        .Times(1);
  }
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  ASSERT_EQ(probes.size(), 2u);
  t.on_reply(probes[0].destination, probes[0].sequence);
  t.on_reply(probes[1].destination, probes[1].sequence);
  EXPECT_EQ(t.state(), State::up);
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["ipv4_address"], "192.0.0.2/29");
  // Another round does not add it again.
  timers.advance(100ms);
}

TEST_F(TunnelTest, NoB4AddressWhenConfiguredSo) {
  config.ipv4_address.reset();
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault(Return(existing("2001:db8:1::5", "2001:db8:a::100")));
  EXPECT_CALL(nl, add_address(_, _, _)).Times(0);
  EXPECT_CALL(nl, add_route(Field(&RouteInfo::source, std::nullopt), true)).Times(1);
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  t.on_reply(probes[0].destination, probes[0].sequence);
  t.on_reply(probes[1].destination, probes[1].sequence);
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["ipv4_address"], nullptr);
}

TEST_F(TunnelTest, AB4AddressTakenAwayIsPutBackWithItsRoute) {
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault(Return(existing("2001:db8:1::5", "2001:db8:a::100")));
  const auto b4 = *IpPrefix::parse("192.0.0.2/29");
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  t.on_reply(probes[0].destination, probes[0].sequence);
  t.on_reply(probes[1].destination, probes[1].sequence);
  ASSERT_EQ(t.state(), State::up);
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  {
    ::testing::InSequence order;
    EXPECT_CALL(nl, add_address(kLink, b4, _)).Times(1);
    EXPECT_CALL(nl, add_route(Field(&RouteInfo::source, std::optional<IpAddress>(b4.address())), true)).Times(1);
  }
  t.on_address({true, {kLink, b4, 0, 0, ""}});
  t.on_address({true, {kLink, *IpPrefix::parse("192.0.0.3/29"), 0, 0, ""}});  // not ours: nothing
}

TEST_F(TunnelTest, AReloadMovesTheB4AddressAndTheRoutesSource) {
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault(Return(existing("2001:db8:1::5", "2001:db8:a::100")));
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  t.on_reply(probes[0].destination, probes[0].sequence);
  t.on_reply(probes[1].destination, probes[1].sequence);
  ASSERT_EQ(t.state(), State::up);
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  auto changed = config;
  changed.ipv4_address = *IpPrefix::parse("192.0.0.4/29");
  {
    ::testing::InSequence order;
    EXPECT_CALL(nl, remove_address(kLink, *IpPrefix::parse("192.0.0.2/29"))).Times(1);
    EXPECT_CALL(nl, add_address(kLink, *changed.ipv4_address, _)).Times(1);
    EXPECT_CALL(nl, add_route(Field(&RouteInfo::source, std::optional<IpAddress>(*IpAddress::parse("192.0.0.4"))), true))
        .Times(1);
  }
  t.reconfigure(changed);
}

TEST_F(TunnelTest, AftrFailureMovesToTheNextAddress) {
  std::optional<Ip6TunnelParams> have = existing("2001:db8:1::5", "2001:db8:a::100");
  ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault([&] { return have; });
  ON_CALL(nl, change_ip6_tunnel(_, _)).WillByDefault([&](int, const Ip6TunnelParams& p) {
    have = p;
    have->index = kLink;
    return std::error_code();
  });
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  // Nothing answers: DOWN when the second round (at 100 ms) times out
  // (timeout 50 ms); then the next AFTR.
  EXPECT_CALL(nl, change_ip6_tunnel(kLink, Field(&Ip6TunnelParams::remote, *Ipv6Address::parse("2001:db8:a::101"))));
  nlohmann::json j;
  timers.advance(149ms);
  t.status(j);
  EXPECT_EQ(j["counters"]["aftr_switches"], 0);
  timers.advance(1ms);
  t.status(j);
  EXPECT_EQ(j["state"], "DOWN");
  EXPECT_EQ(j["remote"], "2001:db8:a::101");
  EXPECT_EQ(j["counters"]["aftr_switches"], 1);
}


// Shared B4 address (conf/shared_b4.h): the backup has no link and probes
// only the AFTR over the WAN; the master's link and route follow the
// owning instance's MASTER, in that order; the backup removes them.
class SharedTunnelTest : public TunnelTest {
 protected:
  SharedTunnelTest() {
    config.local = *Ipv6Address::parse("2001:db8:1::b4");
    previous = {IpPrefix(Ipv4Address(), 0), *IpAddress::parse("192.0.2.1"), kWan, 254, 4, 0, std::nullopt};
    ON_CALL(nl, routes(Family::ipv4, 254u)).WillByDefault(Return(std::vector<RouteInfo>{previous}));
    ON_CALL(nl, ip6_tunnel(std::string_view("ip6tnl1"))).WillByDefault([this] { return link; });
    ON_CALL(nl, add_ip6_tunnel(_)).WillByDefault([this](const Ip6TunnelParams& p) {
      link = p;
      link->index = kLink;
      return std::error_code();
    });
    ON_CALL(nl, remove_link(kLink)).WillByDefault([this](int) {
      link.reset();
      return std::error_code();
    });
  }
  RouteInfo previous;
  std::optional<Ip6TunnelParams> link;
};

TEST_F(SharedTunnelTest, TheBackupHasNoLinkAndProbesOnlyTheAftrOverTheWan) {
  EXPECT_CALL(nl, add_ip6_tunnel(_)).Times(0);
  EXPECT_CALL(nl, add_route(_, _)).Times(0);
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.share_with("VRRP1");
  t.start();
  ASSERT_EQ(probes.size(), 1u) << "the AFTR only, no target through a tunnel that is not there";
  EXPECT_EQ(probes[0].destination, IpAddress(*Ipv6Address::parse("2001:db8:a::100")));
  EXPECT_EQ(probes[0].ifindex, kWan);
  t.on_reply(probes[0].destination, probes[0].sequence);
  EXPECT_EQ(t.state(), State::up) << "the underlay answers: this router could take over";
  EXPECT_FALSE(t.held());
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["shared_with"], "VRRP1");
  EXPECT_EQ(j["held"], false);
  EXPECT_EQ(j["default_route"], false);
}

TEST_F(SharedTunnelTest, ABackupWithADeadUplinkGoesDownSoItsTrackingKeepsItFromTakingOver) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.share_with("VRRP1");
  t.start();
  t.on_reply(probes[0].destination, probes[0].sequence);
  ASSERT_EQ(t.state(), State::up);
  for (int i = 0; i < 4; ++i) timers.advance(100ms);  // the WAN is dead: no answers
  EXPECT_EQ(t.state(), State::down);
  ASSERT_FALSE(published.empty());
  EXPECT_EQ(published.back().first, State::down) << "VRRP tracking hears it";
}

TEST_F(SharedTunnelTest, TakeoverBringsTheLinkUpOnTheSharedAddressThenTheRoute) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.share_with("VRRP1");
  t.start();
  t.on_reply(probes[0].destination, probes[0].sequence);
  ASSERT_EQ(t.state(), State::up);
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  {
    ::testing::InSequence order;
    EXPECT_CALL(nl, add_ip6_tunnel(AllOf(Field(&Ip6TunnelParams::local, *Ipv6Address::parse("2001:db8:1::b4")),
                                         Field(&Ip6TunnelParams::remote, *Ipv6Address::parse("2001:db8:a::100")),
                                         Field(&Ip6TunnelParams::link, kWan))));
    EXPECT_CALL(nl, add_route(AllOf(Field(&RouteInfo::oif, kLink), Field(&RouteInfo::gateway, std::nullopt)), true));
  }
  t.set_held(true, timers.now());
  EXPECT_TRUE(t.held());
  EXPECT_EQ(t.state(), State::up) << "the underlay's verdict carries over: no DOWN at takeover";
  // From now on the rounds probe the targets through the tunnel too.
  probes.clear();
  timers.advance(100ms);
  ASSERT_EQ(probes.size(), 2u);
  EXPECT_EQ(probes[1].destination, IpAddress(*Ipv4Address::parse("203.0.113.1")));
  EXPECT_EQ(probes[1].ifindex, kLink);
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["held"], true);
  EXPECT_EQ(j["counters"]["takeovers"], 1);
}

TEST_F(SharedTunnelTest, LeavingMasterRemovesTheRouteThenTheLink) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.share_with("VRRP1");
  t.start();
  t.on_reply(probes[0].destination, probes[0].sequence);
  t.set_held(true, timers.now());
  ASSERT_TRUE(link.has_value());
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  {
    ::testing::InSequence order;
    EXPECT_CALL(nl, remove_route(Field(&RouteInfo::oif, kLink)));
    EXPECT_CALL(nl, add_route(previous, true));
    EXPECT_CALL(nl, remove_link(kLink));
  }
  t.set_held(false, timers.now());
  EXPECT_FALSE(t.held());
  EXPECT_FALSE(link.has_value());
  probes.clear();
  timers.advance(100ms);
  ASSERT_EQ(probes.size(), 1u) << "back to probing the underlay only";
  EXPECT_EQ(probes[0].ifindex, kWan);
}

TEST_F(SharedTunnelTest, ALeftoverLinkOnTheSharedAddressIsRemovedOnABackup) {
  link = existing("2001:db8:1::b4", "2001:db8:a::100");
  EXPECT_CALL(nl, remove_link(kLink)).Times(1);
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.share_with("VRRP1");
  t.start();
}

TEST_F(SharedTunnelTest, MasterBeforeStartIsHeldFromTheStart) {
  EXPECT_CALL(nl, add_ip6_tunnel(_)).Times(1);
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.share_with("VRRP1");
  t.set_held(true, timers.now());
  t.start();
  EXPECT_TRUE(t.held());
}

}  // namespace
}  // namespace pairgate::tunnel
