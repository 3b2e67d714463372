// tunnel/update_schedule: when the ipip update URL is called, with a fake clock.
#include "tunnel/update_schedule.h"

#include <gtest/gtest.h>

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;
using Time = UpdateSchedule::Time;

const Time t0 = Time{} + 1000s;

TEST(UpdateSchedule, AWantCallsAtOnceAndASuccessEndsIt) {
  UpdateSchedule s;
  EXPECT_TRUE(s.want(t0));
  EXPECT_TRUE(s.in_flight());
  EXPECT_FALSE(s.on_result(t0 + 1s, true));
  EXPECT_FALSE(s.deadline());
  EXPECT_FALSE(s.on_timer(t0 + 1h));
  EXPECT_EQ(s.attempts(), 1u);
  EXPECT_EQ(s.successes(), 1u);
  EXPECT_EQ(s.failures(), 0u);
}

TEST(UpdateSchedule, FailuresRetryAfter5sDoublingUpTo5Minutes) {
  UpdateSchedule s;
  Time now = t0;
  ASSERT_TRUE(s.want(now));
  const std::chrono::seconds waits[] = {5s, 10s, 20s, 40s, 80s, 160s, 300s, 300s, 300s};
  for (auto wait : waits) {
    EXPECT_FALSE(s.on_result(now, false));
    ASSERT_TRUE(s.deadline());
    EXPECT_EQ(*s.deadline() - now, wait);
    EXPECT_FALSE(s.on_timer(now + wait - 1ms)) << "early";
    now += wait;
    EXPECT_TRUE(s.on_timer(now));
    EXPECT_FALSE(s.deadline());
  }
  EXPECT_FALSE(s.on_result(now, true));
  EXPECT_FALSE(s.deadline());
  EXPECT_EQ(s.attempts(), 10u);
  EXPECT_EQ(s.failures(), 9u);
  EXPECT_EQ(s.successes(), 1u);
  // After a success the first wait is 5 s again.
  ASSERT_TRUE(s.want(now));
  EXPECT_FALSE(s.on_result(now, false));
  EXPECT_EQ(*s.deadline() - now, 5s);
}

TEST(UpdateSchedule, OneCallAtATimeAndAWantDuringItIsServedRightAfter) {
  UpdateSchedule s;
  ASSERT_TRUE(s.want(t0));
  EXPECT_FALSE(s.want(t0 + 1s)) << "a call is in flight";
  EXPECT_EQ(s.attempts(), 1u);
  EXPECT_TRUE(s.on_result(t0 + 2s, true)) << "the newer address is told at once";
  EXPECT_EQ(s.attempts(), 2u);
  // The same after a failure: no waiting for news.
  EXPECT_FALSE(s.want(t0 + 3s));
  EXPECT_TRUE(s.on_result(t0 + 4s, false));
  EXPECT_FALSE(s.deadline());
}

TEST(UpdateSchedule, AWantDuringARetryWaitCallsAtOnceAndResetsTheBackoff) {
  UpdateSchedule s;
  ASSERT_TRUE(s.want(t0));
  EXPECT_FALSE(s.on_result(t0, false));
  ASSERT_TRUE(s.on_timer(t0 + 5s));
  EXPECT_FALSE(s.on_result(t0 + 5s, false));
  EXPECT_EQ(*s.deadline() - (t0 + 5s), 10s);
  EXPECT_TRUE(s.want(t0 + 6s));
  EXPECT_FALSE(s.deadline());
  EXPECT_FALSE(s.on_result(t0 + 6s, false));
  EXPECT_EQ(*s.deadline() - (t0 + 6s), 5s);
}

TEST(UpdateSchedule, CancelDropsTheRetryAndWhatWasPending) {
  UpdateSchedule s;
  ASSERT_TRUE(s.want(t0));
  EXPECT_FALSE(s.on_result(t0, false));
  s.cancel();
  EXPECT_FALSE(s.deadline());
  EXPECT_FALSE(s.on_timer(t0 + 1h));
  ASSERT_TRUE(s.want(t0 + 1h));
  EXPECT_FALSE(s.want(t0 + 1h));
  s.cancel();
  EXPECT_FALSE(s.on_result(t0 + 1h, false)) << "the pending want was dropped";
  EXPECT_FALSE(s.deadline()) << "and no retry follows";
  EXPECT_FALSE(s.on_result(t0 + 1h, true)) << "no call in flight";
}

}  // namespace
}  // namespace pairgate::tunnel
