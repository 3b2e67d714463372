// dhcp/pacer: when the next drain of port 67 waits for the socket (answer at
// once) and when it follows the pace, with a fake clock.
#include "dhcp/pacer.h"

#include <gtest/gtest.h>

namespace pairgate::dhcp {
namespace {

using namespace std::chrono_literals;
using Clock = ReceivePacer::Clock;

constexpr ReceivePacer::Limits kLimits{.pace = 1000us, .busy_drain = 4, .busy_rate = 4000, .window = 10ms};
const Clock::time_point kT0 = Clock::time_point(std::chrono::hours(1));

TEST(ReceivePacer, ALoneDatagramIsAnsweredAtOnce) {
  ReceivePacer p(kLimits);
  EXPECT_EQ(p.after_drain(kT0, 1), 0us);
  EXPECT_EQ(p.after_drain(kT0 + 5ms, 3), 0us);
}

TEST(ReceivePacer, ADrainThatFoundSeveralIsPaced) {
  ReceivePacer p(kLimits);
  EXPECT_EQ(p.after_drain(kT0, 4), 1000us);
  EXPECT_EQ(p.after_drain(kT0 + 1ms, 16), 1000us);
}

TEST(ReceivePacer, AnEmptyDrainWaitsForTheSocketWhateverTheRate) {
  ReceivePacer p(kLimits);
  for (int i = 0; i <= 10; ++i) p.after_drain(kT0 + std::chrono::milliseconds(i), 8);
  ASSERT_GE(p.rate(), 4000u);
  EXPECT_EQ(p.after_drain(kT0 + 11ms, 0), 0us);
}

// 8,000 datagrams a second answered one by one (each drain finds one): once a
// window has shown the rate, the drains are paced.
TEST(ReceivePacer, AHighRateIsPacedEvenOneDatagramADrain) {
  ReceivePacer p(kLimits);
  auto t = kT0;
  for (int i = 0; i < 80; ++i, t += 125us) EXPECT_EQ(p.after_drain(t, 1), 0us) << i;
  EXPECT_EQ(p.rate(), 0u);  // no window complete yet
  EXPECT_EQ(p.after_drain(t, 1), 1000us);  // 81 in 10 ms
  EXPECT_EQ(p.rate(), 8100u);
}

// The load falls to 1,000 a second: after one window at that rate each
// datagram is answered at once again.
TEST(ReceivePacer, TheRateFallingEndsThePacing) {
  ReceivePacer p(kLimits);
  auto t = kT0;
  for (int i = 0; i <= 80; ++i, t += 125us) p.after_drain(t, 1);
  ASSERT_EQ(p.after_drain(t, 1), 1000us);
  for (int i = 0; i < 11; ++i) {
    t += 1ms;
    p.after_drain(t, 1);
  }
  EXPECT_LT(p.rate(), 4000u);
  EXPECT_EQ(p.after_drain(t + 1ms, 1), 0us);
}

// A quiet minute is one long window: the rate it shows is that of the minute.
TEST(ReceivePacer, AQuietGapCountsWhole) {
  ReceivePacer p(kLimits);
  auto t = kT0;
  for (int i = 0; i <= 80; ++i, t += 125us) p.after_drain(t, 1);
  ASSERT_GE(p.rate(), 4000u);
  t += std::chrono::minutes(1);
  EXPECT_EQ(p.after_drain(t, 1), 0us);
  EXPECT_EQ(p.rate(), 0u);
}

TEST(ReceivePacer, NoPaceNeverPaces) {
  ReceivePacer p(ReceivePacer::Limits{.pace = 0us, .busy_drain = 1, .busy_rate = 1});
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p.after_drain(kT0 + std::chrono::milliseconds(i), 16), 0us);
}

TEST(ReceivePacer, AZeroRateLimitLeavesOnlyTheDrainRule) {
  ReceivePacer p(ReceivePacer::Limits{.pace = 1000us, .busy_drain = 2, .busy_rate = 0});
  auto t = kT0;
  for (int i = 0; i < 1000; ++i, t += 50us) EXPECT_EQ(p.after_drain(t, 1), 0us);
  EXPECT_EQ(p.after_drain(t, 2), 1000us);
}

}  // namespace
}  // namespace pairgate::dhcp
