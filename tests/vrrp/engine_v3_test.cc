// vrrp/engine as RFC 5798 (version 3) wants it, with a fake clock at 10 ms,
// 100 ms and 1 s advert intervals, over IPv4 and IPv6; nothing sleeps.
#include "vrrp/engine.h"

#include <gtest/gtest.h>

#include "vrrp/addresses.h"

namespace pairgate::vrrp {
namespace {

using namespace std::chrono_literals;

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

const IpAddress kUs = ip("192.0.2.3");
const IpAddress kPeerHigh = ip("192.0.2.4");
const IpAddress kPeerLow = ip("192.0.2.1");
const IpPrefix kVip = *IpPrefix::parse("192.0.2.2/24");
const IpAddress kUs6 = ip("fe80::3");
const IpAddress kPeer6High = ip("fe80::4");
const IpAddress kPeer6Low = ip("fe80::1");

InstanceConfig config(std::uint8_t priority, Duration interval) {
  InstanceConfig c;
  c.name = "V3";
  c.version = 3;
  c.vrid = VrId{1};
  c.priority = Priority{priority};
  c.advert_interval = interval;
  c.virtual_addresses = {kVip};
  return c;
}

InstanceConfig config6(std::uint8_t priority, Duration interval) {
  auto c = config(priority, interval);
  c.virtual_addresses = advertised_addresses(c.vrid, {*IpPrefix::parse("2001:db8::2/64")});
  return c;
}

Received advert(const InstanceConfig& c, std::uint8_t priority, IpAddress from, Duration interval) {
  Received r;
  r.source = from;
  r.destination = from.is_v4() ? IpAddress(kMulticastGroup) : IpAddress(kMulticastGroup6);
  r.advert.version = 3;
  r.advert.vrid = c.vrid;
  r.advert.priority = Priority{priority};
  r.advert.interval = std::chrono::duration_cast<Centiseconds>(interval);
  for (const auto& p : c.virtual_addresses) r.advert.addresses.push_back(p.address());
  return r;
}

template <class T>
std::vector<T> all(const Effects& e) {
  std::vector<T> out;
  for (const auto& x : e) {
    if (auto* p = std::get_if<T>(&x)) out.push_back(*p);
  }
  return out;
}

std::size_t drops(const Instance& in, Drop d) { return in.counters().drops[static_cast<std::size_t>(d)]; }

const TimePoint t0 = TimePoint{} + 1000s;

// RFC 5798 §6.1, at the three intervals of the issue.
TEST(EngineV3, TimerFormulasScaleWithTheInterval) {
  struct Case {
    Duration interval;
    std::uint8_t priority;
    Duration skew;
  };
  // Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256, in whole µs.
  const Case cases[] = {
      {10ms, 100, 6093us},   {100ms, 100, 60937us}, {1s, 100, 609375us},
      {10ms, 254, 78us},     {100ms, 200, 21875us}, {1s, 1, 996093us},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(std::to_string(c.interval.count()) + " ns, priority " + std::to_string(c.priority));
    Instance in(config(c.priority, c.interval), kUs);
    EXPECT_EQ(in.skew_time(), c.skew);
    // Master_Down_Interval = (3 * Master_Adver_Interval) + Skew_Time
    EXPECT_EQ(in.master_down_interval(), 3 * c.interval + c.skew);
  }
}

class EngineV3Intervals : public ::testing::TestWithParam<Duration> {};

// The whole life of a backup at each interval: it follows the master, takes
// over one Master_Down_Interval after the last advert, advertises every
// interval, yields to a higher priority, and takes over within Skew_Time
// after a priority 0 advert.
TEST_P(EngineV3Intervals, BackupMasterAndBackAgain) {
  const Duration I = GetParam();
  const auto c = config(100, I);
  Instance in(c, kUs);
  in.startup(t0);
  ASSERT_EQ(in.state(), State::backup);
  EXPECT_EQ(in.next_deadline(), t0 + 3 * I + in.skew_time());
  TimePoint t = t0;
  for (int i = 0; i < 50; ++i) {
    t += I;
    EXPECT_TRUE(in.on_advert(t, advert(c, 200, kPeerHigh, I)).empty());
    EXPECT_TRUE(in.on_timer(t + I / 2).empty());
  }
  EXPECT_EQ(in.master(), kPeerHigh);
  // Host loss: nothing after the last advert at t.
  EXPECT_TRUE(in.on_timer(t + in.master_down_interval() - 1us).empty());
  auto e = in.on_timer(t + in.master_down_interval());
  EXPECT_EQ(in.state(), State::master);
  EXPECT_EQ(all<SendAdvert>(e).size(), 1u);
  t += in.master_down_interval();
  for (int i = 1; i <= 20; ++i) {
    auto s = in.on_timer(t + i * I);
    ASSERT_EQ(all<SendAdvert>(s).size(), 1u) << i;
    EXPECT_EQ(in.next_deadline(), t + (i + 1) * I);
  }
  t += 20 * I;
  // The old master comes back with 200: we yield at once.
  in.on_advert(t + I / 3, advert(c, 200, kPeerHigh, I));
  EXPECT_EQ(in.state(), State::backup);
  // It stops gracefully: Skew_Time later we are master.
  in.on_advert(t + I, advert(c, 0, kPeerHigh, I));
  EXPECT_EQ(in.next_deadline(), t + I + in.skew_time());
  in.on_timer(t + I + in.skew_time());
  EXPECT_EQ(in.state(), State::master);
}

INSTANTIATE_TEST_SUITE_P(At10ms100msAnd1s, EngineV3Intervals, ::testing::Values(Duration(10ms), Duration(100ms), Duration(1s)));

// RFC 5798 §6.4.2: a backup takes the master's Max Adver Int as
// Master_Adver_Interval, so its timers follow the master's cadence, not its own.
TEST(EngineV3, TheBackupLearnsTheMastersInterval) {
  const auto c = config(100, 100ms);
  Instance in(c, kUs);
  in.startup(t0);
  EXPECT_EQ(in.master_adver_interval(), 100ms);
  in.on_advert(t0 + 1s, advert(c, 200, kPeerHigh, 1s));
  EXPECT_EQ(in.master_adver_interval(), 1s);
  EXPECT_EQ(in.skew_time(), 609375us);
  EXPECT_EQ(in.next_deadline(), t0 + 1s + 3s + 609375us);
  EXPECT_EQ(drops(in, Drop::advert_interval_err), 0u) << "v3 does not drop another interval";
  in.on_advert(t0 + 2s, advert(c, 200, kPeerHigh, 10ms));
  EXPECT_EQ(in.master_adver_interval(), 10ms);
  EXPECT_EQ(in.next_deadline(), t0 + 2s + 30ms + 6093us);
  // A lower priority while preempting teaches nothing.
  in.on_advert(t0 + 2010ms, advert(c, 50, kPeerLow, 2s));
  EXPECT_EQ(in.master_adver_interval(), 10ms);
  // Once master it advertises its own interval; yielding learns again.
  in.on_timer(*in.next_deadline());
  ASSERT_EQ(in.state(), State::master);
  in.on_advert(t0 + 3s, advert(c, 200, kPeerHigh, 500ms));
  EXPECT_EQ(in.state(), State::backup);
  EXPECT_EQ(in.master_adver_interval(), 500ms);
  EXPECT_EQ(in.next_deadline(), t0 + 3s + 1500ms + in.skew_time());
}

TEST(EngineV3, ReceiveChecksOfSection71) {
  const auto c = config(100, 100ms);
  struct Case {
    const char* name;
    Received r;
    Drop drop;
  };
  std::vector<Case> cases;
  {
    auto r = advert(c, 200, kPeerHigh, 100ms);
    r.advert.version = 2;
    cases.push_back({"a v2 advert for a v3 router", r, Drop::version_err});
  }
  {
    auto r = advert(c, 200, kPeerHigh, 100ms);
    r.advert.interval = Centiseconds(0);
    cases.push_back({"Max Adver Int 0", r, Drop::advert_interval_err});
  }
  {
    auto r = advert(c, 200, kPeerHigh, 100ms);
    r.advert.addresses.clear();
    cases.push_back({"no address (RFC 9568 erratum 8299)", r, Drop::addr_list_err});
  }
  {
    auto r = advert(c, 200, kPeerHigh, 100ms);
    r.destination = kUs;
    r.hop_limit = 64;
    cases.push_back({"unicast with TTL 64 and no unicast peers", r, Drop::ip_ttl_err});
  }
  {
    auto r = advert(c, 200, kPeer6High, 100ms);
    cases.push_back({"an IPv6 advert for an IPv4 router", r, Drop::version_err});
  }
  for (const auto& k : cases) {
    SCOPED_TRACE(k.name);
    Instance in(c, kUs);
    in.startup(t0);
    const auto deadline = in.next_deadline();
    EXPECT_TRUE(in.on_advert(t0 + 10ms, k.r).empty());
    EXPECT_EQ(drops(in, k.drop), 1u);
    EXPECT_EQ(in.next_deadline(), deadline) << "a dropped advert does not reset the timer";
  }
}

// RFC 5798 §7.1: another address list "SHOULD" be logged; it is counted,
// and the advert still counts (v2 drops it).
TEST(EngineV3, AnotherAddressListIsCountedNotDropped) {
  const auto c = config(100, 100ms);
  Instance in(c, kUs);
  in.startup(t0);
  auto r = advert(c, 200, kPeerHigh, 100ms);
  r.advert.addresses = {ip("192.0.2.99")};
  in.on_advert(t0 + 10ms, r);
  EXPECT_EQ(drops(in, Drop::addr_list_err), 1u);
  EXPECT_EQ(in.next_deadline(), t0 + 10ms + in.master_down_interval());
  EXPECT_EQ(in.master(), kPeerHigh);
}

TEST(EngineV3, ChecksumWithoutThePseudoHeaderIsCounted) {
  const auto c = config(100, 100ms);
  Instance in(c, kUs);
  in.startup(t0);
  auto r = advert(c, 200, kPeerHigh, 100ms);
  r.checksum_as_v2 = true;
  in.on_advert(t0 + 10ms, r);
  EXPECT_EQ(in.counters().v3_checksum_as_v2, 1u);
  EXPECT_EQ(in.master(), kPeerHigh);
}

// keepalived's unicast_peer: adverts from addresses not in the list are
// dropped and counted; a listed peer counts whatever its TTL (keepalived
// sends IPv6 unicast adverts with hop limit 64).
TEST(EngineV3, UnicastPeersOnly) {
  auto c = config6(100, 100ms);
  c.unicast_peers = {kPeer6High};
  Instance in(c, kUs6);
  in.startup(t0);
  auto stranger = advert(c, 200, ip("fe80::99"), 100ms);
  stranger.destination = kUs6;
  EXPECT_TRUE(in.on_advert(t0 + 10ms, stranger).empty());
  EXPECT_EQ(drops(in, Drop::unicast_src_err), 1u);
  EXPECT_FALSE(in.master().has_value());
  auto peer = advert(c, 200, kPeer6High, 100ms);
  peer.destination = ip("2001:db8::3");
  peer.hop_limit = 64;
  in.on_advert(t0 + 20ms, peer);
  EXPECT_EQ(in.master(), kPeer6High);
  EXPECT_EQ(in.next_deadline(), t0 + 20ms + in.master_down_interval());
  EXPECT_EQ(drops(in, Drop::ip_ttl_err), 0u);
}

// §6.4.3 over IPv6: equal priorities are decided by the link-local source.
TEST(EngineV3, Ipv6TiesAreBrokenByTheLinkLocalAddress) {
  const auto c = config6(150, 100ms);
  ASSERT_EQ(c.virtual_addresses.front(), *IpPrefix::parse("fe80::200:5eff:fe00:201/64"));
  Instance in(c, kUs6);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  ASSERT_EQ(in.state(), State::master);
  auto e = in.on_advert(t0 + 1s, advert(c, 150, kPeer6Low, 100ms));
  EXPECT_EQ(in.state(), State::master) << "fe80::1 < fe80::3";
  EXPECT_EQ(all<SendAdvert>(e).size(), 1u) << "RFC 9568 repair";
  in.on_advert(t0 + 2s, advert(c, 150, kPeer6High, 100ms));
  EXPECT_EQ(in.state(), State::backup) << "fe80::4 > fe80::3";
  EXPECT_EQ(in.master(), kPeer6High);
}

// The repair stays rationed per sender and per interval at 10 ms.
TEST(EngineV3, RepairIsRationedAt10ms) {
  const auto c = config6(200, 10ms);
  Instance in(c, kUs6);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  int answers = 0;
  for (int i = 0; i < 1000; ++i) {
    answers += static_cast<int>(all<SendAdvert>(in.on_advert(t0 + 1s + i * 100us, advert(c, 100, kPeer6Low, 10ms))).size());
  }
  EXPECT_EQ(answers, 10) << "100 ms of forged adverts: one answer per 10 ms";
  EXPECT_EQ(in.counters().repair_suppressed, 990u);
}

TEST(EngineV3, TheDerivedLinkLocalAddress) {
  EXPECT_EQ(derived_link_local(VrId{1}), *IpPrefix::parse("fe80::200:5eff:fe00:201/64"));
  EXPECT_EQ(derived_link_local(VrId{255}), *IpPrefix::parse("fe80::200:5eff:fe00:2ff/64"));
  const std::vector<IpPrefix> given{*IpPrefix::parse("fe80::1/64"), *IpPrefix::parse("2001:db8::2/64")};
  EXPECT_EQ(advertised_addresses(VrId{1}, given), given) << "a link-local first address is kept";
  const std::vector<IpPrefix> v4{kVip};
  EXPECT_EQ(advertised_addresses(VrId{1}, v4), v4);
}

}  // namespace
}  // namespace pairgate::vrrp
