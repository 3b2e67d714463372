#include "ctsync/engine.h"

#include <gtest/gtest.h>

namespace pairgate::ctsync {
namespace {

using namespace std::chrono_literals;

Entry entry(std::uint16_t port, std::uint32_t timeout_s = 120) {
  Entry e;
  e.key = Key{L4::udp, Tuple{0xc000020a, 0xc6336409, port, 9000}};
  e.reply = Tuple{0xc6336409, 0xc000020a, 9000, port};
  e.timeout_s = timeout_s;
  e.mark = 0x00010000;
  return e;
}

std::vector<Change> sent_changes(const Effects& fx) {
  std::vector<Change> out;
  for (const auto& [type, payload] : fx.send) {
    if (type != msg::changes) continue;
    auto c = parse_changes(payload);
    EXPECT_TRUE(c.has_value());
    if (c) out.insert(out.end(), c->begin(), c->end());
  }
  return out;
}

bool sends_dump_request(const Effects& fx) {
  for (const auto& [type, payload] : fx.send) {
    if (type == msg::dump_request) return true;
  }
  return false;
}

std::vector<std::byte> changes(std::vector<Change> c) { return encode_changes(c); }

class CtsyncEngine : public ::testing::Test {
 protected:
  SteadyTime t0{std::chrono::hours(1)};
  SteadyTime now = t0;
  Engine::Options options() {
    Engine::Options o;
    o.max_entries = 3;
    return o;
  }
  Engine e{options(), t0};
};

TEST_F(CtsyncEngine, BackupAsksForADumpWhenTheChannelComesUp) {
  auto fx = e.channel_up(now);
  EXPECT_TRUE(sends_dump_request(fx));
  EXPECT_EQ(e.counters().dump_requests_sent, 1u);
}

TEST_F(CtsyncEngine, MasterAnswersADumpRequestWithItsTable) {
  e.channel_up(now);
  e.set_role(Role::master, now);
  auto fx = e.message(msg::dump_request, encode_dump_request(), now);
  EXPECT_TRUE(fx.dump_kernel);
  fx = e.dumped(std::vector<Entry>{entry(1), entry(2)}, now);
  EXPECT_EQ(sent_changes(fx).size(), 2u);
  EXPECT_EQ(e.counters().sent, 2u);
}

TEST_F(CtsyncEngine, ABackupIgnoresADumpRequest) {
  e.channel_up(now);
  auto fx = e.message(msg::dump_request, encode_dump_request(), now);
  EXPECT_FALSE(fx.dump_kernel);
  EXPECT_EQ(e.counters().dump_requests_received, 1u);
}

TEST_F(CtsyncEngine, MasterCoalescesChangesWithinTheWindow) {
  e.channel_up(now);
  e.set_role(Role::master, now);
  auto fx = e.local(Change{Op::update, entry(1)}, now);
  EXPECT_TRUE(fx.send.empty());
  ASSERT_TRUE(e.next_wake().has_value());
  EXPECT_EQ(*e.next_wake(), now + 5ms);
  e.local(Change{Op::update, entry(1, 60)}, now + 1ms);
  e.local(Change{Op::destroy, entry(1)}, now + 2ms);
  e.local(Change{Op::update, entry(2)}, now + 3ms);
  fx = e.tick(now + 4ms);
  EXPECT_TRUE(fx.send.empty());
  fx = e.tick(now + 5ms);
  auto sent = sent_changes(fx);
  ASSERT_EQ(sent.size(), 2u);  // the last word on port 1 (destroy), and port 2
  EXPECT_EQ(sent[0].op, Op::destroy);
  EXPECT_EQ(sent[1].entry.key.orig.sport, 2);
}

TEST_F(CtsyncEngine, BackupAndDownChannelSendNothing) {
  e.channel_up(now);
  EXPECT_TRUE(e.local(Change{Op::update, entry(1)}, now).send.empty());
  EXPECT_EQ(e.pending(), 0u);
  e.set_role(Role::master, now);
  e.channel_down();
  e.local(Change{Op::update, entry(1)}, now);
  EXPECT_EQ(e.pending(), 0u);
}

TEST_F(CtsyncEngine, BackupCachesUpdatesAndForgetsDestroyed) {
  e.channel_up(now);
  e.message(msg::changes, changes({{Op::update, entry(1)}, {Op::update, entry(2)}}), now);
  EXPECT_EQ(e.cached(), 2u);
  EXPECT_EQ(e.counters().received, 2u);
  e.message(msg::changes, changes({{Op::destroy, entry(1)}}), now);
  EXPECT_EQ(e.cached(), 1u);
}

TEST_F(CtsyncEngine, CacheEntriesExpireAsInTheKernelAndUpdatesRenewThem) {
  e.message(msg::changes, changes({{Op::update, entry(1, 10)}, {Op::update, entry(2, 10)}}), now);
  e.message(msg::changes, changes({{Op::update, entry(2, 10)}}), now + 8s);  // renewed
  ASSERT_TRUE(e.next_wake().has_value());
  e.tick(now + 10s);
  EXPECT_EQ(e.cached(), 1u);
  EXPECT_EQ(e.counters().dropped[static_cast<std::size_t>(Drop::expired)], 1u);
  e.tick(now + 18s);
  EXPECT_EQ(e.cached(), 0u);
  EXPECT_EQ(e.counters().dropped[static_cast<std::size_t>(Drop::expired)], 2u);
}

TEST_F(CtsyncEngine, TheCapBoundsTheCacheAndCountsWhatItDrops) {
  e.message(msg::changes, changes({{Op::update, entry(1)}, {Op::update, entry(2)}, {Op::update, entry(3)},
                                   {Op::update, entry(4)}, {Op::update, entry(5)}}),
            now);
  EXPECT_EQ(e.cached(), 3u);
  EXPECT_EQ(e.counters().dropped[static_cast<std::size_t>(Drop::cap)], 2u);
  // An update of a cached entry is not a new one.
  e.message(msg::changes, changes({{Op::update, entry(1, 300)}}), now);
  EXPECT_EQ(e.counters().dropped[static_cast<std::size_t>(Drop::cap)], 2u);
}

TEST_F(CtsyncEngine, TheCapBoundsTheSendWindowToo) {
  e.channel_up(now);
  e.set_role(Role::master, now);
  for (std::uint16_t p = 1; p <= 5; ++p) e.local(Change{Op::update, entry(p)}, now);
  EXPECT_EQ(e.pending(), 3u);
  EXPECT_EQ(e.counters().dropped[static_cast<std::size_t>(Drop::cap)], 2u);
}

TEST_F(CtsyncEngine, TakeoverCommitsWhatIsLeftOfEachTimeoutAndEmptiesTheCache) {
  e.message(msg::changes, changes({{Op::update, entry(1, 100)}, {Op::update, entry(2, 5)}}), now);
  auto fx = e.set_role(Role::master, now + 30s);
  ASSERT_TRUE(fx.commit.has_value());
  ASSERT_EQ(fx.commit->size(), 1u);  // port 2 expired on the way
  EXPECT_EQ(fx.commit->front().timeout_s, 70u);
  EXPECT_EQ(e.cached(), 0u);
  EXPECT_FALSE(fx.dump_kernel);  // channel down: nobody to send to
  e.committed(1, 0, 12ms);
  EXPECT_EQ(e.counters().committed, 1u);
  EXPECT_EQ(e.last_commit_duration(), 12ms);
  EXPECT_EQ(e.last_commit_entries(), 1u);
}

TEST_F(CtsyncEngine, ANewMasterWithAChannelSendsItsTable) {
  e.channel_up(now);
  auto fx = e.set_role(Role::master, now);
  EXPECT_TRUE(fx.commit.has_value());
  EXPECT_TRUE(fx.dump_kernel);
}

TEST_F(CtsyncEngine, BecomingBackupStopsSendingAndAsksForADump) {
  e.channel_up(now);
  e.set_role(Role::master, now);
  e.local(Change{Op::update, entry(1)}, now);
  auto fx = e.set_role(Role::backup, now + 1ms);
  EXPECT_TRUE(sends_dump_request(fx));
  EXPECT_EQ(e.pending(), 0u);
  EXPECT_TRUE(sent_changes(e.tick(now + 10ms)).empty());
}

TEST_F(CtsyncEngine, MasterRefreshesItsWholeTable) {
  e.channel_up(now);
  e.set_role(Role::master, now);
  EXPECT_FALSE(e.tick(now + 19s).dump_kernel);
  EXPECT_TRUE(e.tick(now + 20s).dump_kernel);
  EXPECT_EQ(e.counters().refreshes, 1u);
}

TEST_F(CtsyncEngine, MalformedAndMisdirectedMessagesAreCounted) {
  std::vector<std::byte> junk = {std::byte{1}, std::byte{0}};
  e.message(msg::changes, junk, now);
  e.message(msg::dump_request, junk, now);
  e.message(msg::changes + 5, encode_dump_request(), now);
  EXPECT_EQ(e.counters().dropped[static_cast<std::size_t>(Drop::malformed)], 3u);
  EXPECT_EQ(e.cached(), 0u);
  e.set_role(Role::master, now);
  e.message(msg::changes, changes({{Op::update, entry(1)}}), now);
  EXPECT_EQ(e.counters().dropped[static_cast<std::size_t>(Drop::wrong_role)], 1u);
  EXPECT_EQ(e.cached(), 0u);
}

TEST_F(CtsyncEngine, TheCacheSurvivesTheChannelGoingDown) {
  e.message(msg::changes, changes({{Op::update, entry(1)}}), now);
  e.channel_down();
  EXPECT_EQ(e.cached(), 1u);
}

TEST_F(CtsyncEngine, ALargeDumpIsCutIntoMessages) {
  Engine big({.max_entries = 5000}, t0);
  big.channel_up(now);
  big.set_role(Role::master, now);
  std::vector<Entry> table;
  for (std::uint16_t p = 1; p <= 4000; ++p) table.push_back(entry(p));
  auto fx = big.dumped(table, now);
  EXPECT_EQ(fx.send.size(), 3u);  // 1600 + 1600 + 800
  for (const auto& [type, payload] : fx.send) EXPECT_LE(payload.size(), PeerChannel::kMaxPayload);
  EXPECT_EQ(sent_changes(fx).size(), 4000u);
}

}  // namespace
}  // namespace pairgate::ctsync
