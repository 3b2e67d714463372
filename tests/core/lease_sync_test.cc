// core/lease_sync: the conflict rule both routers apply to two records of
// one address.
#include "core/lease_sync.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

LeaseRecord rec(std::int64_t cltt, LeaseRecordState state = LeaseRecordState::leased, std::string client = "h\x01\x52",
                std::int64_t expires = 0) {
  LeaseRecord r;
  r.address = *Ipv4Address::parse("198.51.100.20");
  r.state = state;
  r.cltt = cltt;
  r.expires = expires ? expires : cltt + 600;
  r.client = std::move(client);
  return r;
}

TEST(ConflictRule, TheLaterClientLastTransactionTimeWins) {
  EXPECT_TRUE(supersedes(rec(200), rec(100)));
  EXPECT_FALSE(supersedes(rec(100), rec(200)));
  // Whatever the other fields say: an older binding with a later end loses.
  EXPECT_FALSE(supersedes(rec(100, LeaseRecordState::leased, "h\x01\x52", 100000), rec(101)));
  // A release after the binding wins; a binding after the release wins.
  EXPECT_TRUE(supersedes(rec(300, LeaseRecordState::released), rec(200)));
  EXPECT_TRUE(supersedes(rec(400), rec(300, LeaseRecordState::released)));
  // Another client's later binding wins (the peer reassigned it).
  EXPECT_TRUE(supersedes(rec(500, LeaseRecordState::leased, "c\x01\x99"), rec(400)));
}

TEST(ConflictRule, IdenticalRecordsChangeNothing) {
  EXPECT_FALSE(supersedes(rec(100), rec(100)));
}

TEST(ConflictRule, TiesAreBrokenTheSameWayWhicheverSideSeesThem) {
  const LeaseRecord pairs[][2] = {
      {rec(100, LeaseRecordState::released), rec(100)},
      {rec(100, LeaseRecordState::declined), rec(100, LeaseRecordState::expired)},
      {rec(100, LeaseRecordState::leased, "h\x01\x52", 800), rec(100, LeaseRecordState::leased, "h\x01\x52", 700)},
      {rec(100, LeaseRecordState::leased, "h\x01\x53"), rec(100, LeaseRecordState::leased, "h\x01\x52")},
  };
  for (const auto& p : pairs) {
    // Exactly one of the two wins over the other.
    EXPECT_NE(supersedes(p[0], p[1]), supersedes(p[1], p[0]));
    EXPECT_TRUE(supersedes(p[0], p[1]));
  }
  LeaseRecord with_hw = rec(100);
  with_hw.hw_address = MacAddress::parse("52:54:00:00:00:01");
  EXPECT_NE(supersedes(with_hw, rec(100)), supersedes(rec(100), with_hw));
  LeaseRecord named = rec(100);
  named.hostname = "printer";
  EXPECT_NE(supersedes(named, rec(100)), supersedes(rec(100), named));
}

}  // namespace
}  // namespace pairgate
