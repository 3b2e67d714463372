#include "tunnel/health.h"

#include <gtest/gtest.h>

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;

const Ipv6Address kAftr = *Ipv6Address::parse("2001:db8:a::1");
const Ipv4Address kT1 = *Ipv4Address::parse("203.0.113.1");
const Ipv4Address kT2 = *Ipv4Address::parse("203.0.113.2");

class HealthTest : public ::testing::Test {
 protected:
  HealthSettings settings(std::vector<Ipv4Address> targets) {
    HealthSettings s;
    s.interval = 1s;
    s.timeout = 500ms;
    s.down_after = 3;
    s.up_after = 3;
    s.targets = std::move(targets);
    return s;
  }

  // Runs rounds until `until`, answering from `answering` 5 ms after each
  // round goes out. Collects transitions.
  void run(HealthEngine& e, Duration until, const std::vector<IpAddress>& answering) {
    const TimePoint end = now + until;
    while (auto d = e.deadline()) {
      if (*d > end) break;
      now = *d;
      auto fx = e.on_timer(now);
      note(fx);
      if (!fx.probes.empty()) answer(e, fx.probes, answering);
    }
    now = end;
  }
  void answer(HealthEngine& e, const std::vector<SendProbe>& probes, const std::vector<IpAddress>& answering) {
    for (const auto& p : probes) {
      if (std::find(answering.begin(), answering.end(), p.destination) != answering.end()) {
        note(e.on_reply(p.destination, p.sequence, now + 5ms));
      }
    }
  }
  void note(const HealthEffects& fx) {
    if (fx.transition) transitions.push_back(*fx.transition);
    if (fx.aftr_failed) ++aftr_failed;
  }
  void start(HealthEngine& e, const std::vector<IpAddress>& answering, std::optional<Ipv6Address> aftr = kAftr) {
    auto fx = e.start(aftr, now);
    note(fx);
    answer(e, fx.probes, answering);
  }

  TimePoint now{};
  std::vector<Transition> transitions;
  int aftr_failed = 0;
};

TEST_F(HealthTest, ARoundProbesTheAftrAndEveryTarget) {
  HealthEngine e(settings({kT1, kT2}));
  auto fx = e.start(kAftr, now);
  ASSERT_EQ(fx.probes.size(), 3u);
  EXPECT_EQ(fx.probes[0].destination, IpAddress(kAftr));
  EXPECT_EQ(fx.probes[1].destination, IpAddress(kT1));
  EXPECT_EQ(fx.probes[0].sequence, fx.probes[2].sequence);
  EXPECT_EQ(*e.deadline(), now + 500ms);
}

TEST_F(HealthTest, UpAfterUpAfterAnsweredRounds) {
  HealthEngine e(settings({kT1}));
  start(e, {kAftr, kT1});
  EXPECT_EQ(e.state(), State::down);
  run(e, 1900ms, {kAftr, kT1});
  EXPECT_EQ(e.state(), State::down) << "two rounds so far";
  run(e, 200ms, {kAftr, kT1});
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].to, State::up);
  EXPECT_EQ(transitions[0].reason, "3 probes to 203.0.113.1 answered");
  EXPECT_EQ(*e.last_rtt_ms(), 5.0);
  EXPECT_EQ(*e.aftr_rtt_ms(), 5.0);
}

TEST_F(HealthTest, DownAfterDownAfterLostRoundsWithTheSpecReason) {
  HealthEngine e(settings({kT1}));
  start(e, {kAftr, kT1});
  run(e, 3s, {kAftr, kT1});
  ASSERT_EQ(e.state(), State::up);
  transitions.clear();
  // Dark just after a round was answered: rounds at +1 s, +2 s and +3 s are
  // lost and the third is judged at its timeout.
  const TimePoint dark = now;
  run(e, 4s, {});
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].to, State::down);
  EXPECT_EQ(transitions[0].reason, "3 probes to 203.0.113.1 lost; AFTR 2001:db8:a::1 silent too");
  EXPECT_EQ(e.failures(), 3u);
  EXPECT_EQ(aftr_failed, 1) << "reported once, at the down_after-th loss";
  (void)dark;
}

TEST_F(HealthTest, DetectionTakesDownAfterIntervalsFromTheLastAnswer) {
  HealthEngine e(settings({kT1}));
  start(e, {kT1});
  run(e, 3s, {kT1});
  ASSERT_EQ(e.state(), State::up);
  // The last answered round went out at t=3s; dark from then on.
  TimePoint down_at{};
  const TimePoint dark = now;
  while (e.state() == State::up) {
    now = *e.deadline();
    note(e.on_timer(now));
    down_at = now;
  }
  // The last answer came at 3.005 s; nothing for 3 intervals after it.
  EXPECT_EQ(down_at - dark, 3s + 5ms);
  EXPECT_EQ(transitions.back().reason, "3 probes to 203.0.113.1 lost; AFTR 2001:db8:a::1 silent too");
}

TEST_F(HealthTest, WithTheTimeoutEqualToTheIntervalDetectionStillTakesThreeIntervals) {
  auto s = settings({kT1});
  s.timeout = 1s;
  HealthEngine e(s);
  start(e, {kT1});
  run(e, 3s, {kT1});
  ASSERT_EQ(e.state(), State::up);
  const TimePoint dark = now;
  while (e.state() == State::up) {
    now = *e.deadline();
    note(e.on_timer(now));
  }
  EXPECT_EQ(now - dark, 3s + 5ms) << "not 4 s: the third round need not wait out its timeout";
  EXPECT_EQ(e.failures(), 3u);
}

TEST_F(HealthTest, TheAftrGoingAwayMidRoundNamesTheOneProbed) {
  HealthEngine e(settings({kT1}));
  start(e, {kAftr, kT1});
  run(e, 3s, {kAftr, kT1});
  ASSERT_EQ(e.state(), State::up);
  run(e, 2100ms, {});
  e.set_aftr(std::nullopt);  // the name no longer resolves
  run(e, 3s, {});
  ASSERT_EQ(e.state(), State::down);
  EXPECT_EQ(e.reason().rfind("3 probes to 203.0.113.1 lost", 0), 0u) << e.reason();
}

TEST_F(HealthTest, RenumberingForgetsTheRoundsLostOnTheWay) {
  HealthEngine e(settings({kT1}));
  start(e, {kT1});
  run(e, 3s, {kT1});
  ASSERT_EQ(e.state(), State::up);
  run(e, 2100ms, {});  // two rounds lost while the address changes
  e.grace(now);        // the link now carries the new address
  run(e, 1500ms, {kT1});
  EXPECT_EQ(e.state(), State::up);
  EXPECT_EQ(e.failures(), 0u);
}

TEST_F(HealthTest, ASlowButAnsweringTargetIsNotDown) {
  // Replies after 900 ms with a 1 s timeout: every round succeeds.
  auto s = settings({kT1});
  s.timeout = 1s;
  HealthEngine e(s);
  e.start(kAftr, now);
  for (int i = 0; i < 20; ++i) {
    now = *e.deadline();
    auto fx = e.on_timer(now);
    for (const auto& p : fx.probes) {
      if (p.destination == IpAddress(kT1)) note(e.on_reply(p.destination, p.sequence, now + 900ms));
    }
  }
  EXPECT_NE(e.state(), State::down);
}

TEST_F(HealthTest, OneLostRoundChangesNothing) {
  HealthEngine e(settings({kT1}));
  start(e, {kT1});
  run(e, 3s, {kT1});
  transitions.clear();
  run(e, 1s, {});
  run(e, 5s, {kT1});
  EXPECT_TRUE(transitions.empty());
  EXPECT_EQ(e.failures(), 0u);
}

TEST_F(HealthTest, DegradedWhenOnlySomeTargetsAnswerAndUpAgain) {
  HealthEngine e(settings({kT1, kT2}));
  start(e, {kT1, kT2});
  run(e, 3s, {kT1, kT2});
  ASSERT_EQ(e.state(), State::up);
  transitions.clear();
  run(e, 3600ms, {kT1});  // rounds at 4, 5 and 6 s, the last judged at 6.5 s
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].to, State::degraded);
  EXPECT_EQ(transitions[0].reason, "3 probes to 203.0.113.2 lost; 203.0.113.1 answered");
  run(e, 3s, {kT1, kT2});
  ASSERT_EQ(transitions.size(), 2u);
  EXPECT_EQ(transitions[1].to, State::up);
}

TEST_F(HealthTest, FromDownPartialRoundsGiveDegraded) {
  HealthEngine e(settings({kT1, kT2}));
  start(e, {kT2});
  run(e, 2600ms, {kT2});
  ASSERT_EQ(transitions.size(), 1u);
  EXPECT_EQ(transitions[0].to, State::degraded);
  EXPECT_EQ(transitions[0].reason, "203.0.113.1 not answering; 203.0.113.2 answered");
}

TEST_F(HealthTest, WithoutTargetsTheAftrDecides) {
  HealthEngine e(settings({}));
  start(e, {kAftr});
  run(e, 3s, {kAftr});
  ASSERT_EQ(e.state(), State::up);
  EXPECT_EQ(transitions.back().reason, "3 probes to AFTR 2001:db8:a::1 answered");
  run(e, 4s, {});
  EXPECT_EQ(e.state(), State::down);
  EXPECT_EQ(transitions.back().reason, "3 probes to AFTR 2001:db8:a::1 lost");
}

TEST_F(HealthTest, ASilentAftrDoesNotMatterWhileTargetsAnswer) {
  HealthEngine e(settings({kT1}));
  start(e, {kT1});
  run(e, 10s, {kT1});
  EXPECT_EQ(e.state(), State::up);
  EXPECT_EQ(aftr_failed, 1);
  EXPECT_GE(e.aftr_failures(), 3u);
}

TEST_F(HealthTest, LateAndForeignRepliesAreCountedNotTaken) {
  HealthEngine e(settings({kT1}));
  auto fx = e.start(kAftr, now);
  const auto seq = fx.probes[0].sequence;
  now += 600ms;
  e.on_timer(now);  // judged: lost
  e.on_reply(kT1, seq, now);
  EXPECT_EQ(e.counters().late_replies, 1u);
  now += 400ms;
  auto next = e.on_timer(now);
  e.on_reply(*Ipv4Address::parse("192.0.2.99"), next.probes[0].sequence, now);
  EXPECT_EQ(e.counters().unexpected_replies, 1u);
  EXPECT_EQ(e.counters().replies, 0u);
}

TEST_F(HealthTest, HaltGoesDownAtOnceWithItsReason) {
  HealthEngine e(settings({kT1}));
  start(e, {kT1});
  run(e, 3s, {kT1});
  auto fx = e.halt("WAN interface enp3s0 is down");
  ASSERT_TRUE(fx.transition);
  EXPECT_EQ(fx.transition->from, State::up);
  EXPECT_EQ(fx.transition->to, State::down);
  EXPECT_FALSE(e.deadline());
  // The same reason again is no news; another reason is.
  EXPECT_FALSE(e.halt("WAN interface enp3s0 is down").transition);
  auto again = e.halt("waiting for a stable global IPv6 address on enp3s0");
  ASSERT_TRUE(again.transition);
  EXPECT_EQ(again.transition->from, State::down);
  EXPECT_EQ(again.transition->to, State::down);
}

TEST_F(HealthTest, TimeoutEqualToIntervalJudgesBeforeTheNextRound) {
  auto s = settings({kT1});
  s.timeout = 1s;
  HealthEngine e(s);
  start(e, {kAftr, kT1});
  run(e, 2500ms, {kAftr, kT1});
  EXPECT_EQ(e.state(), State::up) << "rounds at 0, 1 and 2 s answered";
  EXPECT_EQ(e.counters().rounds, 3u);
}

}  // namespace
}  // namespace pairgate::tunnel
