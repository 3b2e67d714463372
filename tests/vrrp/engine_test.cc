// vrrp/engine through every branch of RFC 3768 §6.4 with a fake clock: time
// is a TimePoint the test moves; nothing sleeps.
#include "vrrp/engine.h"

#include <gtest/gtest.h>

namespace pairgate::vrrp {
namespace {

using namespace std::chrono_literals;

const Ipv4Address kUs = *Ipv4Address::parse("192.0.2.3");
const Ipv4Address kPeerHigh = *Ipv4Address::parse("192.0.2.4");
const Ipv4Address kPeerLow = *Ipv4Address::parse("192.0.2.1");
const IpPrefix kVip = *IpPrefix::parse("192.0.2.2/24");

InstanceConfig config(std::uint8_t priority = 200) {
  InstanceConfig c;
  c.name = "VRRP1";
  c.vrid = VrId{1};
  c.priority = Priority{priority};
  c.virtual_addresses = {kVip};
  return c;
}

Received advert(std::uint8_t priority, Ipv4Address from = kPeerHigh) {
  Received r;
  r.source = from;
  r.destination = kMulticastGroup;
  r.advert.vrid = VrId{1};
  r.advert.priority = Priority{priority};
  r.advert.addresses = {kVip.address().v4()};
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

// The kinds of effects in order, as letters: S=send, A=add, R=remove,
// G=gratuitous ARP, T=transition.
std::string kinds(const Effects& e) {
  std::string out;
  for (const auto& x : e) out += "SARGT"[x.index()];
  return out;
}

// Reports every SendAdvert of `e` to the engine as sent (ok) or failed.
void report(Instance& in, const Effects& e, bool ok = true) {
  for (const auto& s : all<SendAdvert>(e)) in.on_send_result(s, ok);
}

class EngineTest : public ::testing::Test {
 protected:
  TimePoint t0 = TimePoint{} + 1000s;
};

TEST_F(EngineTest, TimerFormulasOfSection61) {
  Instance a(config(100), kUs);
  // Skew_Time = (256 - 100) / 256 s = 0.609375 s
  EXPECT_EQ(a.skew_time(), std::chrono::duration_cast<Duration>(609375us));
  EXPECT_EQ(a.master_down_interval(), std::chrono::duration_cast<Duration>(3609375us));
  Instance b(config(200), kUs);
  EXPECT_EQ(b.skew_time(), std::chrono::duration_cast<Duration>(218750us));
  Instance c(config(254), kUs);
  EXPECT_EQ(c.skew_time(), std::chrono::duration_cast<Duration>(7812us));
}

TEST_F(EngineTest, BackupBecomesMasterWhenNoAdvertComes) {
  Instance in(config(), kUs);
  auto e = in.startup(t0);
  EXPECT_EQ(in.state(), State::backup);
  EXPECT_EQ(kinds(e), "T");
  EXPECT_EQ(in.next_deadline(), t0 + in.master_down_interval());
  EXPECT_TRUE(in.on_timer(t0 + 1s).empty()) << "early timer calls do nothing";
  e = in.on_timer(*in.next_deadline());
  EXPECT_EQ(in.state(), State::master);
  EXPECT_EQ(kinds(e), "TASG");
  EXPECT_EQ(all<SendAdvert>(e)[0].priority.value, 200);
  EXPECT_EQ(all<AddAddresses>(e)[0].addresses, std::vector<IpPrefix>{kVip});
  EXPECT_EQ(all<StateChanged>(e)[0].reason, "no advert within Master_Down_Interval");
  EXPECT_EQ(in.master(), kUs);
  EXPECT_EQ(in.counters().become_master, 1u);
}

TEST_F(EngineTest, MasterAdvertisesEveryInterval) {
  Instance in(config(255), kUs);
  report(in, in.startup(t0));
  ASSERT_EQ(in.state(), State::master) << "the owner is master at once";
  for (int i = 1; i <= 5; ++i) {
    auto e = in.on_timer(t0 + i * 1s);
    ASSERT_EQ(kinds(e), "S") << i;
    report(in, e);
  }
  // A loop that fell behind does not burst: the next one is an interval later.
  auto e = in.on_timer(t0 + 9500ms);
  report(in, e);
  EXPECT_EQ(kinds(e), "S");
  EXPECT_EQ(in.next_deadline(), t0 + 10500ms);
  EXPECT_EQ(in.counters().advert_sent, 7u);  // startup + 6
}

TEST_F(EngineTest, BackupStaysWhileAHigherMasterAdvertises) {
  Instance in(config(100), kUs);
  in.startup(t0);
  for (int i = 1; i <= 10; ++i) {
    EXPECT_TRUE(in.on_advert(t0 + i * 1s, advert(200)).empty());
    EXPECT_TRUE(in.on_timer(t0 + i * 1s + 500ms).empty());
  }
  EXPECT_EQ(in.state(), State::backup);
  EXPECT_EQ(in.master(), kPeerHigh);
  EXPECT_EQ(in.next_deadline(), t0 + 10s + in.master_down_interval());
}

TEST_F(EngineTest, BackupPreemptsALowerMaster) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_advert(t0 + 1s, advert(100, kPeerLow));
  // The lower advert did not reset the timer: it fires on schedule.
  EXPECT_EQ(in.next_deadline(), t0 + in.master_down_interval());
  in.on_timer(*in.next_deadline());
  EXPECT_EQ(in.state(), State::master);
}

TEST_F(EngineTest, WithoutPreemptABackupAcceptsALowerMaster) {
  auto c = config(200);
  c.preempt = false;
  Instance in(c, kUs);
  in.startup(t0);
  in.on_advert(t0 + 1s, advert(100, kPeerLow));
  EXPECT_EQ(in.next_deadline(), t0 + 1s + in.master_down_interval());
  EXPECT_EQ(in.master(), kPeerLow);
}

TEST_F(EngineTest, PreemptDelayHoldsPreemptionAfterStartup) {
  auto c = config(200);
  c.preempt_delay = 10s;
  Instance in(c, kUs);
  in.startup(t0);
  in.on_advert(t0 + 5s, advert(100, kPeerLow));
  EXPECT_EQ(in.next_deadline(), t0 + 5s + in.master_down_interval()) << "within the delay: accepted";
  in.on_advert(t0 + 11s, advert(100, kPeerLow));
  EXPECT_EQ(in.next_deadline(), t0 + 5s + in.master_down_interval()) << "after it: ignored, so preempt";
  in.on_timer(*in.next_deadline());
  EXPECT_EQ(in.state(), State::master);
}

TEST_F(EngineTest, PriorityZeroMakesTheBackupTakeOverAfterSkewTime) {
  Instance in(config(100), kUs);
  in.startup(t0);
  in.on_advert(t0 + 1s, advert(200));
  in.on_advert(t0 + 2s, advert(0));
  EXPECT_EQ(in.next_deadline(), t0 + 2s + in.skew_time());
  EXPECT_EQ(in.counters().pri_zero_rcvd, 1u);
  EXPECT_FALSE(in.master().has_value());
  auto e = in.on_timer(t0 + 2s + in.skew_time());
  EXPECT_EQ(in.state(), State::master);
  EXPECT_EQ(all<StateChanged>(e)[0].reason, "the master resigned (priority 0) and none took over within Skew_Time");
}

TEST_F(EngineTest, MasterYieldsToHigherPriority) {
  Instance in(config(100), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  auto e = in.on_advert(t0 + 5s, advert(200));
  EXPECT_EQ(in.state(), State::backup);
  EXPECT_EQ(kinds(e), "TR");
  EXPECT_EQ(in.master(), kPeerHigh);
  EXPECT_EQ(in.counters().release_master, 1u);
  EXPECT_EQ(in.next_deadline(), t0 + 5s + in.master_down_interval());
}

TEST_F(EngineTest, EqualPriorityIsDecidedByThePrimaryAddress) {
  Instance in(config(150), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  // 192.0.2.1 < 192.0.2.3: we stay, and answer at once.
  auto e = in.on_advert(t0 + 5s, advert(150, kPeerLow));
  EXPECT_EQ(in.state(), State::master);
  EXPECT_EQ(kinds(e), "S");
  // 192.0.2.4 > 192.0.2.3: we yield.
  in.on_advert(t0 + 6s, advert(150, kPeerHigh));
  EXPECT_EQ(in.state(), State::backup);
}

TEST_F(EngineTest, MasterAnswersALowerPriorityAtOnce) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  auto e = in.on_advert(t0 + 5500ms, advert(100, kPeerLow));
  EXPECT_EQ(kinds(e), "S");
  EXPECT_EQ(all<SendAdvert>(e)[0].priority.value, 200);
  EXPECT_EQ(in.next_deadline(), t0 + 6500ms);
}

TEST_F(EngineTest, MasterAnswersPriorityZeroAtOnce) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  auto e = in.on_advert(t0 + 5500ms, advert(0, kPeerLow));
  EXPECT_EQ(kinds(e), "S");
  EXPECT_EQ(in.state(), State::master);
}

TEST_F(EngineTest, ShutdownOfAMasterSendsPriorityZeroThenLetsGo) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  auto e = in.shutdown(t0 + 10s);
  report(in, e);
  EXPECT_EQ(kinds(e), "STR");
  EXPECT_EQ(all<SendAdvert>(e)[0].priority.value, 0);
  EXPECT_EQ(in.state(), State::initialize);
  EXPECT_FALSE(in.next_deadline().has_value());
  EXPECT_EQ(in.counters().pri_zero_sent, 1u);
  Instance b(config(100), kUs);
  b.startup(t0);
  EXPECT_EQ(kinds(b.shutdown(t0 + 1s)), "T") << "a backup just stops";
}

TEST_F(EngineTest, ReceiveChecksOfSection71EachCountTheirDrop) {
  auto c = config(100);
  c.auth_type = AuthType::simple;
  c.auth_data = simple_auth_data("secret");
  struct Case {
    const char* name;
    Received r;
    Drop drop;
  };
  auto good = advert(200);
  good.advert.auth_type = AuthType::simple;
  good.advert.auth_data = simple_auth_data("secret");
  std::vector<Case> cases;
  {
    auto r = good;
    r.source = kUs;
    cases.push_back({"our own advert", r, Drop::own_advert});
  }
  {
    auto r = good;
    r.advert.auth_type = AuthType::none;
    cases.push_back({"no auth", r, Drop::authtype_mismatch});
  }
  {
    auto r = good;
    r.advert.auth_data = simple_auth_data("wrong");
    cases.push_back({"wrong password", r, Drop::auth_failure});
  }
  {
    auto r = good;
    r.advert.interval = 2s;
    cases.push_back({"interval 2s", r, Drop::advert_interval_err});
  }
  {
    auto r = good;
    r.advert.addresses = {*Ipv4Address::parse("192.0.2.99")};
    cases.push_back({"other addresses", r, Drop::addr_list_err});
  }
  for (const auto& k : cases) {
    SCOPED_TRACE(k.name);
    Instance in(c, kUs);
    in.startup(t0);
    const auto deadline = in.next_deadline();
    EXPECT_TRUE(in.on_advert(t0 + 1s, k.r).empty());
    EXPECT_EQ(in.counters().drops[static_cast<std::size_t>(k.drop)], 1u);
    EXPECT_EQ(in.next_deadline(), deadline) << "a dropped advert does not reset the timer";
  }
  // The owner's advert is believed even with another address list.
  Instance in(c, kUs);
  in.startup(t0);
  auto owner = good;
  owner.advert.priority = Priority{255};
  owner.advert.addresses = {*Ipv4Address::parse("192.0.2.99")};
  in.on_advert(t0 + 1s, owner);
  EXPECT_EQ(in.counters().drops[static_cast<std::size_t>(Drop::addr_list_err)], 1u);
  EXPECT_EQ(in.next_deadline(), t0 + 1s + in.master_down_interval());
}

TEST_F(EngineTest, TheOwnerDiscardsAdvertsForItsVrid) {
  Instance in(config(255), kUs);
  in.startup(t0);
  in.on_advert(t0 + 1s, advert(254));
  EXPECT_EQ(in.state(), State::master);
  EXPECT_EQ(in.counters().drops[static_cast<std::size_t>(Drop::owner_advert_rcvd)], 1u);
}

TEST_F(EngineTest, FaultResignsAndRecovers) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  auto e = in.set_fault(t0 + 10s, true, "tunnel ip6tnl1 DOWN");
  EXPECT_EQ(in.state(), State::fault);
  EXPECT_EQ(kinds(e), "TSR");
  EXPECT_EQ(all<SendAdvert>(e)[0].priority.value, 0) << "the peer takes over within Skew_Time";
  EXPECT_EQ(all<StateChanged>(e)[0].reason, "tunnel ip6tnl1 DOWN");
  EXPECT_FALSE(in.next_deadline().has_value());
  EXPECT_TRUE(in.on_advert(t0 + 11s, advert(100, kPeerLow)).empty()) << "FAULT ignores adverts";
  e = in.set_fault(t0 + 20s, false, "tunnel ip6tnl1 UP");
  EXPECT_EQ(in.state(), State::backup);
  EXPECT_EQ(in.next_deadline(), t0 + 20s + in.master_down_interval());
}

TEST_F(EngineTest, FaultAtStartupStaysInFault) {
  Instance in(config(200), kUs);
  in.set_fault(t0, true, "down");
  EXPECT_EQ(in.state(), State::fault);
  in.startup(t0);
  EXPECT_EQ(in.state(), State::fault);
}

TEST_F(EngineTest, TrackingWeightsMoveTheEffectivePriorityWithin1To254) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  auto e = in.set_priority_delta(t0 + 5s, -60);
  EXPECT_EQ(in.effective_priority().value, 140);
  EXPECT_EQ(kinds(e), "S") << "a master tells the peer at once";
  EXPECT_EQ(all<SendAdvert>(e)[0].priority.value, 140);
  in.set_priority_delta(t0 + 6s, -500);
  EXPECT_EQ(in.effective_priority().value, 1);
  in.set_priority_delta(t0 + 7s, +500);
  EXPECT_EQ(in.effective_priority().value, 254);
  EXPECT_TRUE(in.set_priority_delta(t0 + 8s, +500).empty()) << "no change, no advert";
  Instance owner(config(255), kUs);
  owner.set_priority_delta(t0, -100);
  EXPECT_EQ(owner.effective_priority().value, 255);
}

TEST_F(EngineTest, SyncGroupMembersFollow) {
  Instance in(config(100), kUs);
  in.startup(t0);
  auto e = in.follow(t0 + 1s, State::master, "sync group LAN: VRRP1 is MASTER");
  EXPECT_EQ(in.state(), State::master);
  EXPECT_EQ(kinds(e), "TASG");
  in.follow(t0 + 2s, State::fault, "sync group LAN: VRRP1 is FAULT");
  EXPECT_EQ(in.state(), State::fault);
  in.follow(t0 + 3s, State::backup, "sync group LAN: VRRP1 is BACKUP");
  EXPECT_EQ(in.state(), State::backup);
  in.set_fault(t0 + 4s, true, "own fault");
  EXPECT_TRUE(in.follow(t0 + 5s, State::master, "group").empty()) << "a faulty member never becomes master";
}

TEST_F(EngineTest, ReconfigureKeepsTheStateAndMovesOnlyWhatChanged) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  auto c = config(210);
  const IpPrefix extra = *IpPrefix::parse("192.0.2.5/24");
  c.virtual_addresses.push_back(extra);
  auto e = in.reconfigure(t0 + 5s, c);
  EXPECT_EQ(in.state(), State::master);
  EXPECT_EQ(kinds(e), "ASG");
  EXPECT_EQ(all<AddAddresses>(e)[0].addresses, std::vector<IpPrefix>{extra});
  EXPECT_EQ(all<SendAdvert>(e)[0].priority.value, 210);
  e = in.reconfigure(t0 + 6s, config(210));
  EXPECT_EQ(kinds(e), "RS");
  EXPECT_EQ(all<RemoveAddresses>(e)[0].addresses, std::vector<IpPrefix>{extra});
  EXPECT_TRUE(in.reconfigure(t0 + 7s, config(210)).empty()) << "nothing changed, nothing done";
}

TEST_F(EngineTest, StateNamesMatchKeepalivedsLogs) {
  EXPECT_EQ(to_string(State::master), "MASTER");
  EXPECT_EQ(to_string(State::backup), "BACKUP");
  EXPECT_EQ(to_string(State::fault), "FAULT");
  EXPECT_EQ(to_string(State::initialize), "INIT");
}

}  // namespace
}  // namespace pairgate::vrrp

namespace pairgate::vrrp {
namespace {

TEST_F(EngineTest, APriorityChangeWhileBackupReArmsMasterDownInterval) {
  Instance in(config(100), kUs);
  in.startup(t0);
  in.on_advert(t0 + 1s, advert(200));
  EXPECT_EQ(in.next_deadline(), t0 + 1s + 3609375us);
  // §6.1: Skew_Time depends on the priority, so the running
  // Master_Down_Timer (armed by the advert at t0 + 1s) moves with it.
  in.set_priority_delta(t0 + 2s, +100);  // 200: Skew_Time 218750 us
  EXPECT_EQ(in.next_deadline(), t0 + 1s + 3218750us);
  in.set_priority_delta(t0 + 2s, -50);  // 50: Skew_Time 804687 us
  EXPECT_EQ(in.next_deadline(), t0 + 1s + 3804687us);
  // After a priority 0 advert the timer is Skew_Time alone, and moves too.
  in.on_advert(t0 + 3s, advert(0));
  EXPECT_EQ(in.next_deadline(), t0 + 3s + 804687us);
  in.set_priority_delta(t0 + 3100ms, 0);  // 100: Skew_Time 609375 us
  EXPECT_EQ(in.next_deadline(), t0 + 3s + 609375us);
  // A deadline that moved into the past fires at the next timer call.
  in.on_advert(t0 + 10s, advert(200));
  in.set_priority_delta(t0 + 10s + 3500ms, +150);  // 250: 3 s + 23437 us after t0 + 10s
  EXPECT_EQ(in.next_deadline(), t0 + 10s + 3500ms);
  in.on_timer(t0 + 10s + 3500ms);
  EXPECT_EQ(in.state(), State::master);
}

TEST_F(EngineTest, OnlyAChangeOfTheEffectivePriorityMovesTheTimer) {
  Instance in(config(250), kUs);
  in.startup(t0);
  in.on_advert(t0 + 1s, advert(254));
  const auto deadline = in.next_deadline();
  EXPECT_TRUE(in.set_priority_delta(t0 + 2s, +10).empty()) << "a backup sends nothing";  // 250 -> 254
  EXPECT_EQ(in.next_deadline(), t0 + 1s + 3s + 7812us);
  in.on_advert(t0 + 3s, advert(254));
  in.set_priority_delta(t0 + 3500ms, +20);  // clamped: still 254
  EXPECT_EQ(in.next_deadline(), t0 + 3s + 3s + 7812us);
  EXPECT_NE(in.next_deadline(), deadline);
}

TEST_F(EngineTest, AdvertSentCountsOnlyAdvertsThatLeft) {
  Instance in(config(255), kUs);
  auto e = in.startup(t0);
  ASSERT_EQ(all<SendAdvert>(e).size(), 1u);
  EXPECT_EQ(in.counters().advert_sent, 0u) << "an effect is an intent, not a sent advert";
  report(in, e, true);
  EXPECT_EQ(in.counters().advert_sent, 1u);
  report(in, in.on_timer(t0 + 1s), false);
  report(in, in.on_timer(t0 + 2s), false);
  EXPECT_EQ(in.counters().advert_sent, 1u);
  EXPECT_EQ(in.counters().advert_send_err, 2u);
  e = in.shutdown(t0 + 3s);
  report(in, e, false);
  EXPECT_EQ(in.counters().pri_zero_sent, 0u) << "a priority 0 advert that failed is not counted as sent";
  EXPECT_EQ(in.counters().advert_send_err, 3u);
}

// RFC 9568 §6.4.3's repair: anyone on the LAN can forge a lower priority,
// so the master answers each sender at most once per interval.
TEST_F(EngineTest, RepairAnswersEachSenderAtMostOncePerInterval) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  const TimePoint t = t0 + 10s;
  int answers = 0;
  // 1000 forged adverts from one sender within 2.5 s.
  for (int i = 0; i < 1000; ++i) {
    const auto now = t + i * 2500us;
    answers += static_cast<int>(all<SendAdvert>(in.on_advert(now, advert(100, kPeerLow))).size());
  }
  // Answers at 0, 1 s and 2 s; the timer was not called, so no regular adverts.
  EXPECT_EQ(answers, 3);
  EXPECT_EQ(in.counters().repair_suppressed, 997u);
  EXPECT_EQ(in.state(), State::master);
  // Priority 0 adverts are answered under the same rule.
  answers = static_cast<int>(all<SendAdvert>(in.on_advert(t + 2600ms, advert(0, kPeerLow))).size());
  EXPECT_EQ(answers, 0);
  answers = static_cast<int>(all<SendAdvert>(in.on_advert(t + 3s, advert(0, kPeerLow))).size());
  EXPECT_EQ(answers, 1);
}

TEST_F(EngineTest, RepairForgedFromManySendersIsCappedPerInterval) {
  Instance in(config(200), kUs);
  in.startup(t0);
  in.on_timer(*in.next_deadline());
  const TimePoint t = t0 + 10s;
  int answers = 0;
  // 10,000 adverts from 10,000 forged sources within one interval.
  for (std::uint32_t i = 0; i < 10000; ++i) {
    const Ipv4Address forged(0xc6120000u + i);  // 198.18.0.0/15
    answers += static_cast<int>(all<SendAdvert>(in.on_advert(t + i * 90us, advert(100, forged))).size());
  }
  EXPECT_LE(answers, 4);
  EXPECT_GE(answers, 1);
  EXPECT_EQ(in.counters().repair_suppressed, 10000u - static_cast<std::uint64_t>(answers));
  // A real peer is answered again in the next interval.
  EXPECT_EQ(all<SendAdvert>(in.on_advert(t + 1s, advert(100, kPeerLow))).size(), 1u);
}

}  // namespace
}  // namespace pairgate::vrrp
