// vrrp/service against a real kernel: virtual addresses over netlink, adverts
// seen by a peer, unsolicited neighbour adverts, tunnel tracking through the
// TunnelHealthSource double.
#include "vrrp/service.h"

#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>

#include <nlohmann/json.hpp>

#include "conf/parser.h"
#include "tests/mocks/fake_tunnel_health.h"
#include "tests/netns/netns_env.h"
#include "tests/support/module_context.h"

namespace pairgate::vrrp {
namespace {

using namespace std::chrono_literals;

class VrrpServiceTest : public ::testing::Test {
 protected:
  void SetUp() override { netlink_ = make_libnl_netlink(io_); }

  conf::Config config(const std::string& track) {
    auto r = conf::parse("node: t\n"
                         "vrrp:\n  instances:\n"
                         "    - name: V1\n      interface: " + testing::env("PG_IF") + "\n"
                         "      vrid: 9\n      priority: 200\n"
                         "      virtual_addresses: [198.51.100.1/24]\n"
                         "      excluded_addresses: [2001:db8:9::1/64]\n"
                         "      garp: {delay: 0s, repeat: 1}\n"
                         "      track: [" + track + "]\n"
                         "tunnels:\n  - {name: tun0, wan_interface: x0, aftr: 2001:db8:ffff::1}\n",
                         "t.yaml");
    EXPECT_TRUE(r.config) << r.report();
    return *r.config;
  }

  template <class Pred>
  bool run_until(Pred pred) {
    return testing::run_until(io_, pred, 5s);
  }

  nlohmann::json status(Service& s) {
    nlohmann::json j;
    s.status(j);
    return j["vrrp"][0];
  }

  bool has(const std::string& prefix) {
    auto p = *IpPrefix::parse(prefix);
    for (const auto& a : netlink_->addresses(static_cast<int>(if_nametoindex(testing::env("PG_IF").c_str())))) {
      if (a.prefix == p) return true;
    }
    return false;
  }

  boost::asio::io_context io_;
  std::unique_ptr<Netlink> netlink_;
  testing::Registries registries_;
  testing::FakeTunnelHealth tunnels_;
};

TEST_F(VrrpServiceTest, BecomesMasterAnnouncesAndFaultsWithItsTunnel) {
  // The peer's view: adverts on protocol 112 and neighbour adverts.
  std::optional<RawSocket> adverts;
  std::optional<RawSocket> nd;
  std::vector<Received> seen;
  bool na_seen = false;
  testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
    const int peer = static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str()));
    adverts.emplace(RawSocket::ip(io_, Family::ipv4, kProtocol));
    adverts->join_multicast(peer, kMulticastGroup);
    nd.emplace(RawSocket::ip(io_, Family::ipv6, IPPROTO_ICMPV6));
  });
  adverts->start([&](const RawPacket& p) {
    if (auto r = parse_datagram(p.data)) seen.push_back(*r);
  });
  const auto target = Ipv6Address::parse("2001:db8:9::1")->bytes();
  nd->start([&](const RawPacket& p) {
    if (p.data.size() >= 24 && p.data[0] == std::byte{136} && p.hop_limit == 255 &&
        std::equal(target.begin(), target.end(), reinterpret_cast<const std::uint8_t*>(p.data.data()) + 8)) {
      na_seen = true;
    }
  });

  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(config("{tunnel: tun0}"));
  EXPECT_EQ(status(s)["state"], "BACKUP");
  ASSERT_TRUE(run_until([&] { return status(s)["state"] == "MASTER"; })) << status(s).dump();
  EXPECT_TRUE(has("198.51.100.1/24"));
  EXPECT_TRUE(has("2001:db8:9::1/64"));
  ASSERT_TRUE(run_until([&] { return !seen.empty() && na_seen; }));
  EXPECT_EQ(seen.back().advert.vrid.value, 9);
  EXPECT_EQ(seen.back().advert.priority.value, 200);
  EXPECT_EQ(seen.back().source, *Ipv4Address::parse("198.51.100.5")) << "the primary address, not the VIP";
  EXPECT_EQ(seen.back().advert.addresses, std::vector<Ipv4Address>{*Ipv4Address::parse("198.51.100.1")});

  tunnels_.set("tun0", TunnelHealth::down, "3 probes to 203.0.113.1 lost");
  EXPECT_EQ(status(s)["state"], "FAULT");
  EXPECT_EQ(status(s)["reason"], "tunnel tun0 DOWN: 3 probes to 203.0.113.1 lost");
  EXPECT_EQ(status(s)["last_transition"].get<std::string>().size(), 20u);
  EXPECT_FALSE(has("198.51.100.1/24"));
  EXPECT_FALSE(has("2001:db8:9::1/64"));
  ASSERT_TRUE(run_until([&] { return seen.back().advert.priority.value == 0; })) << "resigned with priority 0";

  tunnels_.set("tun0", TunnelHealth::up, "tunnel tun0 UP");
  EXPECT_EQ(status(s)["state"], "BACKUP");
  bool done = false;
  s.stop([&] { done = true; });
  EXPECT_TRUE(done);
}

TEST_F(VrrpServiceTest, AWeightedTunnelLowersThePriorityInstead) {
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(config("{tunnel: tun0, weight: -50}"));
  tunnels_.set("tun0", TunnelHealth::down, "lost");
  EXPECT_EQ(status(s)["effective_priority"], 150);
  EXPECT_EQ(status(s)["state"], "BACKUP");
  tunnels_.set("tun0", TunnelHealth::degraded, "some targets answer");
  EXPECT_EQ(status(s)["effective_priority"], 200) << "DEGRADED counts as up";
  s.stop([] {});
}

}  // namespace
}  // namespace pairgate::vrrp

namespace pairgate::vrrp {
namespace {

TEST_F(VrrpServiceTest, ASyncGroupMovesTogether) {
  const std::string ifname = testing::env("PG_IF");
  auto r = conf::parse("node: t\n"
                       "vrrp:\n  instances:\n"
                       "    - {name: A1, interface: " + ifname + ", vrid: 11, priority: 200, virtual_addresses: [198.51.100.11/24], track: [{tunnel: tun0}]}\n"
                       "    - {name: A2, interface: " + ifname + ", vrid: 12, priority: 200, virtual_addresses: [198.51.100.12/24]}\n"
                       "  sync_groups:\n    - {name: G, instances: [A1, A2]}\n"
                       "tunnels:\n  - {name: tun0, wan_interface: x0, aftr: 2001:db8:ffff::1}\n",
                       "t.yaml");
  ASSERT_TRUE(r.config) << r.report();
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(*r.config);
  auto states = [&] {
    nlohmann::json j;
    s.status(j);
    return j["vrrp"][0]["state"].get<std::string>() + "/" + j["vrrp"][1]["state"].get<std::string>();
  };
  ASSERT_TRUE(run_until([&] { return states() == "MASTER/MASTER"; })) << states();
  EXPECT_TRUE(has("198.51.100.11/24"));
  EXPECT_TRUE(has("198.51.100.12/24"));
  // A1's tunnel fails: A2 has nothing wrong but follows it into FAULT.
  tunnels_.set("tun0", TunnelHealth::down, "lost");
  EXPECT_EQ(states(), "FAULT/FAULT");
  EXPECT_FALSE(has("198.51.100.12/24"));
  nlohmann::json j;
  s.status(j);
  EXPECT_EQ(j["vrrp"][1]["reason"], "sync group G: A1 FAULT (tunnel tun0 DOWN: lost)");
  tunnels_.set("tun0", TunnelHealth::up, "answering");
  EXPECT_EQ(states(), "BACKUP/BACKUP");
  ASSERT_TRUE(run_until([&] { return states() == "MASTER/MASTER"; })) << states();
  s.stop([] {});
}

}  // namespace
}  // namespace pairgate::vrrp
