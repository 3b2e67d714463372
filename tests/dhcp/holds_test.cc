// dhcp/holds: offers and quarantines on the steady clock.
#include "dhcp/holds.h"

#include <gtest/gtest.h>

namespace pairgate::dhcp {
namespace {

using std::chrono::seconds;
const Holds::Clock::time_point kT0(std::chrono::hours(100));

ClientKey client(std::uint8_t n) {
  const std::array<std::uint8_t, 6> mac{2, 0, 0, 0, 0, n};
  return ClientKey::from_hardware(1, mac);
}

TEST(Holds, AnOfferRunsItsTimeForItsClientOnly) {
  Holds h;
  const Ipv4Address a(0xc0000214u);
  h.offer(a, client(1), kT0, seconds(60));
  EXPECT_TRUE(h.offered_to(a, client(1), kT0 + seconds(59)));
  EXPECT_FALSE(h.offered_to(a, client(2), kT0));
  EXPECT_FALSE(h.quarantined(a, kT0));
  EXPECT_EQ(h.offer_of(client(1), kT0), a);
  EXPECT_FALSE(h.find(a, kT0 + seconds(60)));
  EXPECT_FALSE(h.offer_of(client(1), kT0 + seconds(60)));
  h.expire(kT0 + seconds(60));
  EXPECT_EQ(h.size(), 0u);
}

TEST(Holds, OneOfferPerClientAndOneHoldPerAddress) {
  Holds h;
  const Ipv4Address a(0xc0000214u), b(0xc0000215u);
  h.offer(a, client(1), kT0, seconds(60));
  h.offer(b, client(1), kT0, seconds(60));
  EXPECT_FALSE(h.find(a, kT0)) << "the client's earlier offer ended";
  EXPECT_EQ(h.offer_of(client(1), kT0), b);
  h.offer(b, client(2), kT0, seconds(60));
  EXPECT_FALSE(h.offer_of(client(1), kT0)) << "the address went to another client";
  h.quarantine(b, kT0, seconds(3600));
  EXPECT_TRUE(h.quarantined(b, kT0 + seconds(3599)));
  EXPECT_FALSE(h.offer_of(client(2), kT0));
  h.release(b);
  EXPECT_EQ(h.size(), 0u);
  h.offer(a, client(3), kT0, seconds(60));
  h.end_offer_of(client(3));
  EXPECT_EQ(h.size(), 0u);
}

TEST(Holds, ForEachSeesOnlyRunningHolds) {
  Holds h;
  h.offer(Ipv4Address(1), client(1), kT0, seconds(10));
  h.quarantine(Ipv4Address(2), kT0, seconds(100));
  int n = 0;
  h.for_each(kT0 + seconds(50), [&](Ipv4Address a, const Holds::Hold& x) {
    EXPECT_EQ(a, Ipv4Address(2));
    EXPECT_EQ(x.kind, Holds::Kind::quarantine);
    ++n;
  });
  EXPECT_EQ(n, 1);
}

}  // namespace
}  // namespace pairgate::dhcp
