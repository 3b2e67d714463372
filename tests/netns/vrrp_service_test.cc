// vrrp/service against a real kernel: virtual addresses over netlink, adverts
// seen by a peer, unsolicited neighbour adverts, tunnel tracking through the
// TunnelHealthSource double.
#include "vrrp/service.h"

#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
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
  // Tests change pga0's addresses and link; the next test finds it as
  // run_in_netns.sh made it.
  void TearDown() override {
    const int here = ifindex();
    netlink_->set_link_up(here, true);
    for (const char* extra : {"203.0.113.5/24", "198.51.100.7/24", "198.51.100.1/24", "2001:db8:9::1/64"}) {
      if (has(extra)) netlink_->remove_address(here, *IpPrefix::parse(extra));
    }
    if (!has("198.51.100.5/24")) netlink_->add_address(here, *IpPrefix::parse("198.51.100.5/24"), {});
    AddressOptions nodad;
    nodad.flags = IFA_F_NODAD;
    if (!has("2001:db8:5::5/64")) netlink_->add_address(here, *IpPrefix::parse("2001:db8:5::5/64"), nodad);
  }
  int ifindex() { return static_cast<int>(if_nametoindex(testing::env("PG_IF").c_str())); }

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
    for (const auto& a : netlink_->addresses(ifindex())) {
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
  EXPECT_EQ(seen.back().advert.addresses, std::vector<IpAddress>{*Ipv4Address::parse("198.51.100.1")});

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

// A daemon that crashed as master left its virtual addresses behind; the
// next run starts as backup and must not answer for them (two routers
// would claim one address) until it is master again.
TEST_F(VrrpServiceTest, AddressesLeftByACrashedRunAreRemovedAtStart) {
  AddressOptions nodad;
  nodad.flags = IFA_F_NODAD;
  ASSERT_FALSE(netlink_->add_address(ifindex(), *IpPrefix::parse("198.51.100.1/24"), {}));
  ASSERT_FALSE(netlink_->add_address(ifindex(), *IpPrefix::parse("2001:db8:9::1/64"), nodad));
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(config(""));
  EXPECT_EQ(status(s)["state"], "BACKUP");
  EXPECT_FALSE(has("198.51.100.1/24"));
  EXPECT_FALSE(has("2001:db8:9::1/64"));
  EXPECT_EQ(status(s)["counters"]["stale_addresses_removed"], 2);
  s.stop([] {});
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

namespace pairgate::vrrp {
namespace {

// An instance started before its interface has an IPv4 address leaves FAULT
// as soon as one appears; losing the primary address moves to another one,
// or back to FAULT.
TEST_F(VrrpServiceTest, AnInstanceFollowsItsInterfacesAddresses) {
  const int here = ifindex();
  ASSERT_FALSE(netlink_->remove_address(here, *IpPrefix::parse("198.51.100.5/24")));
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(config(""));
  EXPECT_EQ(status(s)["state"], "FAULT");
  EXPECT_EQ(status(s)["reason"], "no IPv4 address on " + testing::env("PG_IF"));

  ASSERT_FALSE(netlink_->add_address(here, *IpPrefix::parse("198.51.100.5/24"), {}));
  // Within one advert interval (1 s): the address event alone does it.
  ASSERT_TRUE(testing::run_until(io_, [&] { return status(s)["state"] != "FAULT"; }, 1s)) << status(s).dump();
  EXPECT_EQ(status(s)["state"], "BACKUP");
  EXPECT_EQ(status(s)["primary_address"], "198.51.100.5");
  EXPECT_EQ(status(s)["reason"], "address 198.51.100.5/24 added to " + testing::env("PG_IF"));

  // A second address in another subnet, then the primary goes: the other
  // one takes its place and the instance stays in the election.
  ASSERT_FALSE(netlink_->add_address(here, *IpPrefix::parse("203.0.113.5/24"), {}));
  ASSERT_FALSE(netlink_->remove_address(here, *IpPrefix::parse("198.51.100.5/24")));
  ASSERT_TRUE(run_until([&] { return status(s)["primary_address"] == "203.0.113.5"; })) << status(s).dump();
  EXPECT_NE(status(s)["state"], "FAULT");

  // The last one goes: FAULT, and no stale address in the tie-break.
  ASSERT_FALSE(netlink_->remove_address(here, *IpPrefix::parse("203.0.113.5/24")));
  ASSERT_TRUE(run_until([&] { return status(s)["state"] == "FAULT"; })) << status(s).dump();
  EXPECT_EQ(status(s)["reason"], "no IPv4 address on " + testing::env("PG_IF"));
  EXPECT_EQ(status(s)["primary_address"], "0.0.0.0");
  s.stop([] {});
}

// Starts a raw socket in the peer's namespace that collects the adverts
// `from` sends.
struct PeerListener {
  PeerListener(boost::asio::io_context& io, Ipv4Address from) {
    testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
      const int peer = static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str()));
      socket.emplace(RawSocket::ip(io, Family::ipv4, kProtocol));
      socket->join_multicast(peer, kMulticastGroup);
      socket->set_multicast_hops(kTtl);
      socket->set_multicast_loop(false);
    });
    socket->start([this, from](const RawPacket& p) {
      auto r = parse_datagram(p.data);
      if (r) all.push_back(*r);
      if (r && r->source == from) seen.push_back(*r);
    });
  }
  std::optional<RawSocket> socket;
  std::vector<Received> seen;  // from `from`
  std::vector<Received> all;   // from anyone
};

// RFC 3768 §5.2.2: adverts come from the primary address, even when the
// kernel would choose another one (a link-scope address goes to the head of
// the interface's list, and is the kernel's choice for 224.0.0.18).
TEST_F(VrrpServiceTest, AdvertsLeaveFromThePrimaryAddress) {
  const Ipv4Address primary = *Ipv4Address::parse("198.51.100.5");
  PeerListener peer(io_, primary);
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(config(""));
  AddressOptions link_scope;
  link_scope.scope = RT_SCOPE_LINK;
  ASSERT_FALSE(netlink_->add_address(ifindex(), *IpPrefix::parse("203.0.113.5/24"), link_scope));
  ASSERT_TRUE(run_until([&] { return status(s)["state"] == "MASTER"; })) << status(s).dump();
  ASSERT_TRUE(run_until([&] { return peer.all.size() >= 2; }));
  EXPECT_EQ(status(s)["primary_address"], "198.51.100.5");
  for (const auto& r : peer.all) EXPECT_EQ(r.source, primary) << r.source.to_string();
  s.stop([] {});
}

// A flood of lower-priority adverts is not answered one for one (RFC 9568's
// repair, rationed): at most one answer per interval per sender, the rest
// counted.
TEST_F(VrrpServiceTest, AFloodOfLowerPriorityAdvertsIsNotReflected) {
  const Ipv4Address master = *Ipv4Address::parse("198.51.100.5");
  PeerListener peer(io_, master);
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(config(""));
  ASSERT_TRUE(run_until([&] { return status(s)["state"] == "MASTER"; })) << status(s).dump();
  // Forged from the peer: priority 100 < 200, everything else right.
  std::optional<RawSocket> forger;
  testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
    forger.emplace(RawSocket::ip(io_, Family::ipv4, kProtocol));
    forger->set_multicast_hops(kTtl);
    forger->set_multicast_loop(false);
  });
  const int peer_if = [&] {
    int i = 0;
    testing::in_namespace(testing::env("PG_PEER_NS"), [&] { i = static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str())); });
    return i;
  }();
  Advert a;
  a.vrid = VrId{9};
  a.priority = Priority{100};
  a.addresses = {*Ipv4Address::parse("198.51.100.1")};
  const auto bytes = build_advert(a, {});
  const std::size_t before = peer.seen.size();
  const auto t0 = std::chrono::steady_clock::now();
  int forged = 0;
  for (int round = 0; round < 200; ++round) {
    for (int i = 0; i < 20; ++i) forged += !forger->send_to(bytes, kMulticastGroup, peer_if);
    io_.run_for(10ms);
    io_.restart();
  }
  io_.run_for(50ms);
  io_.restart();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto answers = peer.seen.size() - before;
  const auto c = status(s)["counters"];
  std::cout << forged << " forged adverts in " << seconds << " s, " << answers << " adverts from the master, "
            << c["repair_suppressed"] << " answers suppressed\n";
  ASSERT_GE(forged, 3000);
  EXPECT_EQ(status(s)["state"], "MASTER");
  // Per second: one regular advert and at most one answer to this sender.
  EXPECT_LE(answers, static_cast<std::size_t>(2 * (seconds + 1) + 2));
  EXPECT_GE(c["repair_suppressed"].get<std::uint64_t>(), static_cast<std::uint64_t>(forged) - answers);
  EXPECT_EQ(c["advert_rcvd"].get<std::uint64_t>(), static_cast<std::uint64_t>(forged)) << "nothing lost on the way";
  s.stop([] {});
}

// An advert the kernel refuses (the interface went down) is counted as
// advert_send_err, not advert_sent.
TEST_F(VrrpServiceTest, AnAdvertThatCannotLeaveIsCountedAsASendError) {
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(config(""));
  ASSERT_TRUE(run_until([&] { return status(s)["state"] == "MASTER"; })) << status(s).dump();
  ASSERT_TRUE(run_until([&] { return status(s)["counters"]["advert_sent"] >= 2; }));
  EXPECT_EQ(status(s)["counters"]["advert_send_err"], 0);
  ASSERT_FALSE(netlink_->set_link_up(ifindex(), false));
  ASSERT_TRUE(run_until([&] { return status(s)["state"] == "FAULT"; })) << status(s).dump();
  const auto c = status(s)["counters"];
  EXPECT_EQ(c["advert_send_err"], 1) << "the resignation (priority 0) could not leave: " << c.dump();
  EXPECT_EQ(c["pri_zero_sent"], 0);
  s.stop([] {});
}

// RFC 5798 over IPv6: adverts to ff02::12 with hop limit 255 from the
// interface's link-local address, the derived link-local virtual address
// first (§5.2.9), a checksum over the IPv6 pseudo-header, the addresses
// added, and unsolicited neighbour adverts with Override for them.
TEST_F(VrrpServiceTest, Version3OverIpv6) {
  std::optional<RawSocket> adverts;
  std::optional<RawSocket> nd;
  std::vector<Received> seen;
  std::vector<int> hops;
  int na_override = 0;
  testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
    const int peer = static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str()));
    adverts.emplace(RawSocket::ip(io_, Family::ipv6, kProtocol));
    adverts->join_multicast(peer, kMulticastGroup6);
    nd.emplace(RawSocket::ip(io_, Family::ipv6, IPPROTO_ICMPV6));
  });
  adverts->start([&](const RawPacket& p) {
    if (!p.source || !p.destination) return;
    auto r = parse_packet(p.data, {*p.source, *p.destination}, p.hop_limit);
    if (r) seen.push_back(*r);
    hops.push_back(p.hop_limit);
  });
  const auto target = Ipv6Address::parse("2001:db8:5::1")->bytes();
  nd->start([&](const RawPacket& p) {
    // RFC 4861 §4.4: type 136, flags R|O (0xa0), the target at offset 8.
    if (p.data.size() >= 24 && p.data[0] == std::byte{136} && p.hop_limit == 255 &&
        (std::to_integer<unsigned>(p.data[4]) & 0x20) != 0 &&
        std::equal(target.begin(), target.end(), reinterpret_cast<const std::uint8_t*>(p.data.data()) + 8)) {
      ++na_override;
    }
  });
  auto r = conf::parse("node: t\nvrrp:\n  instances:\n"
                       "    - {name: V6, interface: " + testing::env("PG_IF") + ", vrid: 9, priority: 200, version: 3,\n"
                       "       advert_interval: 100ms, virtual_addresses: [2001:db8:5::1/64], garp: {delay: 0s, repeat: 2}}\n",
                       "t.yaml");
  ASSERT_TRUE(r.config) << r.report();
  Service s(registries_.context(io_, *netlink_), &tunnels_);
  s.start(*r.config);
  ASSERT_TRUE(run_until([&] { return status(s)["state"] == "MASTER"; })) << status(s).dump();
  EXPECT_TRUE(has("2001:db8:5::1/64"));
  EXPECT_TRUE(has("fe80::200:5eff:fe00:209/64")) << "the derived link-local virtual address";
  ASSERT_TRUE(run_until([&] { return seen.size() >= 5 && na_override >= 2; })) << seen.size() << " " << na_override;
  const auto& a = seen.back();
  EXPECT_EQ(a.advert.version, 3);
  EXPECT_EQ(a.advert.interval, std::chrono::milliseconds(100));
  EXPECT_EQ(a.destination, IpAddress(kMulticastGroup6));
  EXPECT_TRUE(!a.source.is_v4() && a.source.v6().is_link_local()) << a.source.to_string();
  EXPECT_EQ(status(s)["primary_address"], a.source.to_string());
  EXPECT_EQ(a.advert.addresses, (std::vector<IpAddress>{*Ipv6Address::parse("fe80::200:5eff:fe00:209"),
                                                        *Ipv6Address::parse("2001:db8:5::1")}));
  for (int h : hops) EXPECT_EQ(h, 255);
  EXPECT_EQ(status(s)["version"], 3);
  EXPECT_EQ(status(s)["master_adver_interval_ms"], 100);
  s.stop([] {});
  EXPECT_FALSE(has("2001:db8:5::1/64"));
}

}  // namespace
}  // namespace pairgate::vrrp
