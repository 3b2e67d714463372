#include "vrrp/track.h"

#include <gtest/gtest.h>

namespace pairgate::vrrp {
namespace {

TEST(Track, WeightsOfDownItemsAddUp) {
  auto o = evaluate({{-60, true, "interface enp3s0 down"}, {-30, true, "tunnel t DOWN"}, {-100, false, "up"}});
  EXPECT_EQ(o.delta, -90);
  EXPECT_FALSE(o.fault);
}

TEST(Track, AnUnweightedItemDownIsAFaultNamedByTheFirst) {
  auto o = evaluate({{-60, true, "a"}, {std::nullopt, true, "tunnel ip6tnl1 DOWN"}, {std::nullopt, true, "interface x down"}});
  EXPECT_TRUE(o.fault);
  EXPECT_EQ(o.reason, "tunnel ip6tnl1 DOWN");
  EXPECT_EQ(o.delta, -60);
}

TEST(Track, NothingDownNothingChanges) {
  auto o = evaluate({{std::nullopt, false, "a"}, {-10, false, "b"}});
  EXPECT_EQ(o.delta, 0);
  EXPECT_FALSE(o.fault);
  EXPECT_FALSE(evaluate({}).fault);
}

TEST(Track, PositiveWeightsCountWhileUpAsKeepalivedsDo) {
  EXPECT_EQ(evaluate({{+20, false, "uplink up"}}).delta, 20);
  EXPECT_EQ(evaluate({{+20, true, "uplink down"}}).delta, 0);
  EXPECT_EQ(evaluate({{+20, false, "a"}, {-30, true, "b"}}).delta, -10);
}

}  // namespace
}  // namespace pairgate::vrrp
