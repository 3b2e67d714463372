#include "dhcp/pool_watch.h"

#include <gtest/gtest.h>

#include "core/events.h"

namespace pairgate::dhcp {
namespace {

using namespace std::chrono_literals;

class PoolWatchTest : public ::testing::Test {
 protected:
  PoolWatch::Usage usage() {
    return [this] {
      ++walks;
      return use;
    };
  }
  std::vector<std::string> messages() {
    std::vector<std::string> out;
    for (const auto& e : bus.since(0).events) out.push_back(e.message);
    return out;
  }
  EventBus bus;
  PoolWatch watch{bus};
  std::vector<PoolWatch::SubnetUse> use{{"198.51.100.0/24", 50, 50}, {"203.0.113.0/24", 3, 10}};
  int walks = 0;
  SteadyTime t{std::chrono::hours(1)};
};

TEST_F(PoolWatchTest, FullOnceThenFreeAgainOnce) {
  watch.exhausted(t, usage());
  watch.exhausted(t + 6s, usage());  // still full: no second event
  watch.tick(usage());
  EXPECT_EQ(messages(), std::vector<std::string>{"dhcp: pool 198.51.100.0/24 full (50 of 50 addresses in use)"});
  EXPECT_TRUE(watch.full("198.51.100.0/24"));
  use[0].used = 49;
  watch.tick(usage());
  watch.tick(usage());
  ASSERT_EQ(messages().size(), 2u);
  EXPECT_EQ(messages()[1], "dhcp: pool 198.51.100.0/24 has free addresses again (49 of 50 addresses in use)");
  const auto e = bus.since(1).events.at(0);
  EXPECT_EQ(e.kind, "dhcp");
  EXPECT_EQ(e.subject, "198.51.100.0/24");
  EXPECT_EQ(e.data["full"], false);
}

TEST_F(PoolWatchTest, AFloodOfExhaustedDiscoversWalksTheLeasesOnceEvery5s) {
  for (int i = 0; i < 1000; ++i) watch.exhausted(t + i * 1ms, usage());
  EXPECT_EQ(walks, 1);
  watch.exhausted(t + 5s, usage());
  EXPECT_EQ(walks, 2);
}

TEST_F(PoolWatchTest, TheTickWalksOnlyWhileSomethingIsFull) {
  watch.tick(usage());
  EXPECT_EQ(walks, 0);
  use[0].used = 10;  // exhausted by held offers, yet not full: no event
  watch.exhausted(t, usage());
  EXPECT_TRUE(messages().empty());
  watch.tick(usage());
  EXPECT_EQ(walks, 1);
}

}  // namespace
}  // namespace pairgate::dhcp
