// dhcp/commit_window: when a group-commit batch is due, on a manual clock.
#include "dhcp/commit_window.h"

#include <gtest/gtest.h>

namespace pairgate::dhcp {
namespace {

using namespace std::chrono_literals;
using Clock = CommitWindow::Clock;

TEST(CommitWindow, AnEmptyBatchIsNeverDue) {
  CommitWindow w({1ms, 4});
  EXPECT_FALSE(w.due());
  EXPECT_FALSE(w.ready(Clock::time_point{} + 1h));
}

TEST(CommitWindow, TheFirstRecordOpensTheWindow) {
  CommitWindow w({1ms, 4});
  const Clock::time_point t0{};
  w.added(t0 + 10ms);
  w.added(t0 + 10ms + 900us);  // a later record does not move the window
  ASSERT_TRUE(w.due());
  EXPECT_EQ(*w.due(), t0 + 11ms);
  EXPECT_FALSE(w.ready(t0 + 10ms + 999us));
  EXPECT_TRUE(w.ready(t0 + 11ms));
  EXPECT_EQ(w.records(), 2u);
}

TEST(CommitWindow, AFullBatchIsDueAtOnce) {
  CommitWindow w({1s, 3});
  const Clock::time_point t0{};
  w.added(t0);
  w.added(t0);
  EXPECT_FALSE(w.ready(t0));
  w.added(t0);
  EXPECT_TRUE(w.full());
  EXPECT_TRUE(w.ready(t0));
}

TEST(CommitWindow, SubmittingEmptiesItAndTheNextRecordOpensANewWindow) {
  CommitWindow w({2ms, 8});
  const Clock::time_point t0{};
  w.added(t0);
  w.submitted();
  EXPECT_FALSE(w.due());
  w.added(t0 + 5ms);
  EXPECT_EQ(*w.due(), t0 + 7ms);
}

TEST(CommitWindow, AZeroWindowIsDueAsSoonAsItHoldsARecord) {
  CommitWindow w({});
  const Clock::time_point t0{};
  w.added(t0);
  EXPECT_TRUE(w.ready(t0));
}

}  // namespace
}  // namespace pairgate::dhcp
