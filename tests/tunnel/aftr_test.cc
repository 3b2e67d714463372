#include "tunnel/aftr.h"

#include <gtest/gtest.h>

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;

Ipv6Address a(const char* s) { return *Ipv6Address::parse(s); }

TEST(Aftr, StaticListMovesToTheNextOnFailureAndWraps) {
  AftrSet s;
  EXPECT_FALSE(s.current());
  EXPECT_FALSE(s.fail());
  s.set_static({a("2001:db8:a::100"), a("2001:db8:a::101")});
  EXPECT_EQ(*s.current(), a("2001:db8:a::100"));
  EXPECT_EQ(*s.fail(), a("2001:db8:a::101"));
  EXPECT_EQ(*s.fail(), a("2001:db8:a::100"));
  EXPECT_FALSE(s.expires());
}

TEST(Aftr, ASingleAddressStays) {
  AftrSet s;
  s.set_static({a("2001:db8:a::100")});
  EXPECT_EQ(*s.fail(), a("2001:db8:a::100"));
}

TEST(Aftr, ResolvedAddressesExpireWithTheirTtlWithinBounds) {
  AftrSet s;
  TimePoint t0{};
  EXPECT_TRUE(s.set_resolved({a("2001:db8:a::100")}, 300s, t0));
  EXPECT_EQ(*s.expires(), t0 + 300s);
  s.set_resolved({a("2001:db8:a::100")}, 0s, t0);
  EXPECT_EQ(*s.expires(), t0 + AftrSet::kMinTtl);
  s.set_resolved({a("2001:db8:a::100")}, std::chrono::seconds(0x7fffffff), t0);
  EXPECT_EQ(*s.expires(), t0 + AftrSet::kMaxTtl);
}

TEST(Aftr, ReResolvingKeepsTheAddressInUse) {
  AftrSet s;
  TimePoint t0{};
  s.set_resolved({a("2001:db8:a::100"), a("2001:db8:a::101")}, 300s, t0);
  s.fail();
  EXPECT_EQ(*s.current(), a("2001:db8:a::101"));
  // Round-robin DNS answers in another order: stay on ::101.
  EXPECT_FALSE(s.set_resolved({a("2001:db8:a::101"), a("2001:db8:a::100")}, 300s, t0 + 300s));
  EXPECT_EQ(*s.current(), a("2001:db8:a::101"));
  // ::101 is gone from the answer: take the first.
  EXPECT_TRUE(s.set_resolved({a("2001:db8:a::102")}, 300s, t0 + 600s));
  EXPECT_EQ(*s.current(), a("2001:db8:a::102"));
}

}  // namespace
}  // namespace pairgate::tunnel
