#include "vrrp/repair_limit.h"

#include <gtest/gtest.h>

namespace pairgate::vrrp {
namespace {

using namespace std::chrono_literals;

const RepairLimit::Clock::time_point t0 = RepairLimit::Clock::time_point{} + 1000s;
Ipv4Address host(std::uint32_t n) { return Ipv4Address(0xc6120000u + n); }  // 198.18.0.0/15

TEST(RepairLimit, OneAnswerPerSenderPerInterval) {
  RepairLimit l;
  EXPECT_TRUE(l.admit(t0, host(1), 1s));
  EXPECT_FALSE(l.admit(t0 + 1ms, host(1), 1s));
  EXPECT_FALSE(l.admit(t0 + 999ms, host(1), 1s));
  EXPECT_TRUE(l.admit(t0 + 1s, host(1), 1s));
  EXPECT_TRUE(l.admit(t0 + 1s, host(2), 1s)) << "another sender has its own allowance";
  EXPECT_TRUE(l.admit(t0 + 3s, host(2), 3s / 2));
}

TEST(RepairLimit, AtMostAFewAnswersPerIntervalInAll) {
  RepairLimit l;
  unsigned answered = 0;
  for (std::uint32_t i = 0; i < 1000; ++i) answered += l.admit(t0 + i * 100us, host(i), 1s);
  EXPECT_EQ(answered, RepairLimit::kPerInterval);
  EXPECT_EQ(l.senders(), RepairLimit::kSenders) << "the table stays bounded";
  EXPECT_TRUE(l.admit(t0 + 1s, host(5000), 1s)) << "the next interval has a new allowance";
}

TEST(RepairLimit, TheLeastRecentlyHeardSenderIsForgottenFirst) {
  RepairLimit l;
  ASSERT_TRUE(l.admit(t0, host(0), 10s));
  // 63 others fill the table; a tiny interval lets each be answered, so the
  // cap in all stays out of the way.
  for (std::uint32_t i = 1; i < RepairLimit::kSenders; ++i) ASSERT_TRUE(l.admit(t0 + i * 1ms, host(i), 1us));
  EXPECT_FALSE(l.admit(t0 + 100ms, host(0), 10s)) << "remembered: answered within the interval";
  // One more sender pushes out the least recently heard, host(1), not host(0).
  l.admit(t0 + 200ms, host(1000), 1us);
  EXPECT_EQ(l.senders(), RepairLimit::kSenders);
  EXPECT_FALSE(l.admit(t0 + 300ms, host(0), 10s)) << "host(0) was heard recently and is remembered";
  EXPECT_TRUE(l.admit(t0 + 400ms, host(1), 10s)) << "host(1) was forgotten, so it is answered again";
}

}  // namespace
}  // namespace pairgate::vrrp
