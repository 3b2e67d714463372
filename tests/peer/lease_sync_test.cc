// peer/lease_sync: two routers' lease sync over two real channel engines,
// with fake lease stores on each side and time as an input.
#include "peer/lease_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "tests/peer/channel_harness.h"
#include "tests/support/manual_clock.h"

namespace pairgate::peer {
namespace {

using testing::Net;

LeaseRecord record(std::uint32_t address, std::int64_t cltt, std::string client = "") {
  LeaseRecord r;
  r.address = Ipv4Address(address);
  r.state = LeaseRecordState::leased;
  r.cltt = cltt;
  r.expires = cltt + 600;
  r.client = client.empty() ? "h\x01" + std::to_string(address) : client;
  return r;
}

// One router's DHCP side: its records, what it was sent, and disk writes
// that finish when the test says (or at once).
class FakeStore : public LeaseSource, public LeaseSink {
 public:
  std::map<std::uint32_t, LeaseRecord> records;  // by address
  std::vector<std::function<void()>> unsynced;    // durable callbacks not yet run
  bool disk_instant = true;
  std::size_t applied_calls = 0;
  Listener listener;

  void subscribe_durable(Listener l) override { listener = std::move(l); }
  std::optional<std::size_t> snapshot(std::size_t cursor, std::size_t max, std::vector<LeaseRecord>& out) const override {
    // The cursor is the next address to read.
    auto it = records.lower_bound(static_cast<std::uint32_t>(cursor));
    for (std::size_t n = 0; it != records.end() && n < max; ++it, ++n) out.push_back(it->second);
    if (it == records.end()) return std::nullopt;
    return it->first;
  }
  void apply(std::span<const LeaseRecord> in, std::function<void()> durable) override {
    ++applied_calls;
    for (const auto& r : in) {
      auto it = records.find(r.address.to_uint());
      if (it == records.end() || supersedes(r, it->second)) records[r.address.to_uint()] = r;
    }
    if (disk_instant) {
      durable();
    } else {
      unsynced.push_back(std::move(durable));
    }
  }
  // A local change, durable: the DHCP server's journal batch.
  void commit(std::vector<LeaseRecord> batch) {
    for (const auto& r : batch) records[r.address.to_uint()] = r;
    if (listener) listener(batch);
  }
  void sync_disk() {
    auto pending = std::exchange(unsynced, {});
    for (auto& f : pending) f();
  }
};

Scope scope(std::string_view pool) {
  return Scope{{*IpPrefix::parse("198.51.100.0/24")}, {*Ipv4Range::parse(pool)}};
}

struct Router {
  FakeStore store;
  std::vector<std::string> events;
  std::unique_ptr<LeaseSync> sync;
};

class LeaseSyncTest : public ::testing::Test {
 protected:
  pairgate::testing::ManualClock clock;
  Net net;
  Router beagle, primergy;

  void make(Router& r, testing::Side& side, Scope s, std::uint64_t epoch, LeaseSync::Options o = {}) {
    r.sync.reset();
    r.sync = std::make_unique<LeaseSync>(*side.channel, &r.store, &r.store, std::move(s), epoch, clock, o,
                                         [&r](const LeaseSync::Event& e) {
                                           r.events.push_back(e.kind + " " + std::string(to_string(e.to)) + " " +
                                                              e.message);
                                         });
  }
  void SetUp() override {
    make(beagle, net.a, scope("198.51.100.20-198.51.100.99"), 1001);
    make(primergy, net.b, scope("198.51.100.100-198.51.100.189"), 2002);
  }
  // Restarts primergy's channel and sync (a new process: new epoch).
  void restart_primergy(std::uint64_t epoch) {
    net.kill(net.b);
    primergy.sync.reset();
    ChannelOptions o;
    o.node = "primergy";
    o.master = testing::test_key();
    o.peer = *IpAddress::parse("198.51.100.2");
    net.b.channel = std::make_unique<Channel>(o, testing::counting_random());
    make(primergy, net.b, scope("198.51.100.100-198.51.100.189"), epoch);
    net.b.channel->start(net.now);
    net.pump();
  }
};

constexpr std::uint32_t kBase = 0xc6336400u;  // 198.51.100.0

TEST_F(LeaseSyncTest, TheFirstExchangeIsFullBothWaysAndEndsInSync) {
  for (std::uint32_t i = 20; i < 100; ++i) beagle.store.records[kBase + i] = record(kBase + i, 1000 + i);
  for (std::uint32_t i = 100; i < 190; ++i) primergy.store.records[kBase + i] = record(kBase + i, 1000 + i);
  net.start();
  EXPECT_EQ(beagle.sync->state(), SyncState::in_sync);
  EXPECT_EQ(primergy.sync->state(), SyncState::in_sync);
  EXPECT_EQ(beagle.store.records.size(), 170u);
  EXPECT_EQ(primergy.store.records.size(), 170u);
  EXPECT_EQ(beagle.store.records, primergy.store.records);
  EXPECT_EQ(beagle.sync->counters().fulls_sent, 1u);
  EXPECT_EQ(beagle.sync->counters().fulls_received, 1u);
  EXPECT_EQ(beagle.sync->counters().records_sent, 80u);
  EXPECT_EQ(beagle.sync->backlog(), 0u);
  EXPECT_THAT(beagle.events.back(), ::testing::StartsWith("state in-sync caught up both ways in"));
}

TEST_F(LeaseSyncTest, ChangesFollowAsBatchesAndAreAcknowledgedOnceOnDisk) {
  net.start();
  primergy.store.disk_instant = false;
  beagle.store.commit({record(kBase + 20, 5000), record(kBase + 21, 5000)});
  net.pump();
  EXPECT_EQ(primergy.store.records.size(), 2u);
  // Not on primergy's disk yet: beagle keeps them.
  EXPECT_EQ(beagle.sync->backlog(), 2u);
  primergy.store.sync_disk();
  net.pump();
  EXPECT_EQ(beagle.sync->backlog(), 0u);
  EXPECT_EQ(beagle.sync->acked_position(), (Position{1001, 2}));
  EXPECT_EQ(primergy.sync->applied_position(), (Position{1001, 2}));
  EXPECT_EQ(beagle.sync->state(), SyncState::in_sync);
}

// The lag (status lag_ms, pairgate_peer_lease_lag_seconds): how long the
// oldest change the peer has not acknowledged has waited.
TEST_F(LeaseSyncTest, TheLagIsTheAgeOfTheOldestUnacknowledgedChange) {
  net.start();
  EXPECT_EQ(beagle.sync->lag(), std::chrono::steady_clock::duration::zero());
  primergy.store.disk_instant = false;
  beagle.store.commit({record(kBase + 20, 5000)});
  net.pump();
  clock.advance(200ms);
  beagle.store.commit({record(kBase + 21, 5001)});
  net.pump();
  clock.advance(100ms);
  EXPECT_EQ(beagle.sync->lag(), std::chrono::milliseconds(300)) << "the older change counts";
  primergy.store.sync_disk();
  net.pump();
  EXPECT_EQ(beagle.sync->backlog(), 0u);
  EXPECT_EQ(beagle.sync->lag(), std::chrono::steady_clock::duration::zero());
}

TEST_F(LeaseSyncTest, ACoalescingWindowSendsTheBatchesOfItsSpanAsOneAndAcksThemOnce) {
  using namespace std::chrono_literals;
  make(beagle, net.a, scope("198.51.100.20-198.51.100.99"), 1001, LeaseSync::Options{.coalesce = 5ms});
  make(primergy, net.b, scope("198.51.100.100-198.51.100.189"), 2002, LeaseSync::Options{.coalesce = 5ms});
  net.start();
  ASSERT_EQ(beagle.sync->state(), SyncState::in_sync);
  const auto calls = primergy.store.applied_calls;
  const auto acks = primergy.sync->counters().acks_sent;
  beagle.store.commit({record(kBase + 20, 5000)});
  beagle.store.commit({record(kBase + 21, 5000)});
  beagle.store.commit({record(kBase + 22, 5001), record(kBase + 23, 5001)});
  net.pump();
  EXPECT_EQ(primergy.store.applied_calls, calls) << "nothing leaves before the window ends";
  clock.advance(5ms);
  net.pump();
  EXPECT_EQ(primergy.store.applied_calls, calls + 1) << "one message for the three batches";
  EXPECT_EQ(primergy.store.records.size(), 4u);
  EXPECT_EQ(beagle.sync->backlog(), 4u) << "the ack waits for its own window";
  clock.advance(5ms);
  net.pump();
  EXPECT_EQ(primergy.sync->counters().acks_sent, acks + 1);
  EXPECT_EQ(beagle.sync->backlog(), 0u);
  EXPECT_EQ(beagle.sync->acked_position(), (Position{1001, 4}));
}

TEST_F(LeaseSyncTest, FlushSendsWhatWaitsInTheWindowAtOnce) {
  using namespace std::chrono_literals;
  make(beagle, net.a, scope("198.51.100.20-198.51.100.99"), 1001, LeaseSync::Options{.coalesce = 5ms});
  net.start();
  beagle.store.commit({record(kBase + 20, 5000)});
  net.pump();
  EXPECT_EQ(primergy.store.records.size(), 0u);
  beagle.sync->flush();
  net.pump();
  EXPECT_EQ(primergy.store.records.size(), 1u);
}

TEST_F(LeaseSyncTest, WhatWasNotAcknowledgedIsResentAfterAReconnectAsADelta) {
  net.start();
  beagle.store.commit({record(kBase + 20, 5000)});
  net.pump();
  ASSERT_EQ(beagle.sync->backlog(), 0u);
  // The network goes; beagle keeps serving.
  net.cut_silently();
  net.reachable = false;
  beagle.store.commit({record(kBase + 21, 5001)});
  beagle.store.commit({record(kBase + 22, 5002), record(kBase + 20, 5003, "h\x01other")});
  net.advance(5s);
  EXPECT_EQ(beagle.sync->state(), SyncState::waiting);
  EXPECT_EQ(beagle.sync->backlog(), 3u);
  EXPECT_EQ(primergy.store.records.size(), 1u);
  const auto sent_before = beagle.sync->counters().records_sent;
  net.reachable = true;
  net.advance(6s);
  ASSERT_EQ(beagle.sync->state(), SyncState::in_sync);
  EXPECT_EQ(beagle.sync->counters().deltas_sent, 1u);
  EXPECT_EQ(beagle.sync->counters().fulls_sent, 1u);  // only the first
  EXPECT_EQ(beagle.sync->counters().records_sent - sent_before, 3u);
  EXPECT_EQ(primergy.store.records, beagle.store.records);
  EXPECT_EQ(primergy.store.records.at(kBase + 20).client, "h\x01other");
  EXPECT_EQ(beagle.sync->backlog(), 0u);
}

TEST_F(LeaseSyncTest, SentButNotOnThePeersDiskIsSentAgain) {
  net.start();
  primergy.store.disk_instant = false;
  beagle.store.commit({record(kBase + 30, 6000)});
  net.pump();
  ASSERT_EQ(beagle.sync->backlog(), 1u);
  const auto calls = primergy.store.applied_calls;
  // The connection breaks before primergy's disk has it; they reconnect.
  net.cut_silently();
  net.reachable = false;
  net.advance(5s);
  ASSERT_EQ(beagle.sync->state(), SyncState::waiting);
  net.reachable = true;
  net.advance(2s);
  ASSERT_EQ(beagle.sync->state(), SyncState::syncing);
  // primergy said it had nothing of beagle's on disk: beagle sent it all again.
  EXPECT_EQ(beagle.sync->counters().fulls_sent, 2u);
  EXPECT_GT(primergy.store.applied_calls, calls);
  EXPECT_EQ(primergy.store.records.count(kBase + 30), 1u);
  primergy.store.sync_disk();
  net.pump();
  EXPECT_EQ(beagle.sync->state(), SyncState::in_sync);
  EXPECT_EQ(beagle.sync->backlog(), 0u);
  EXPECT_EQ(primergy.sync->applied_position().seq, 1u);
}

TEST_F(LeaseSyncTest, ARestartedRouterGetsEverythingAndSendsEverything) {
  net.start();
  beagle.store.commit({record(kBase + 20, 5000)});
  primergy.store.commit({record(kBase + 100, 5000)});
  net.pump();
  // primergy restarts (new epoch; its store kept on disk); meanwhile beagle
  // renewed one of primergy's clients (primergy was away).
  net.kill(net.b);
  beagle.store.commit({record(kBase + 100, 5100)});
  restart_primergy(3003);
  EXPECT_EQ(primergy.sync->state(), SyncState::in_sync);
  EXPECT_EQ(primergy.store.records.at(kBase + 100).cltt, 5100);
  EXPECT_EQ(beagle.store.records, primergy.store.records);
  // beagle had primergy's old stream: a new epoch means a full exchange.
  EXPECT_EQ(beagle.sync->counters().fulls_received, 2u);
  EXPECT_EQ(beagle.sync->counters().fulls_sent, 2u);  // primergy knew nothing of beagle's stream
}

TEST_F(LeaseSyncTest, OverlappingPoolsStopSyncOnBothSides) {
  make(primergy, net.b, scope("198.51.100.90-198.51.100.189"), 2002);
  beagle.store.records[kBase + 20] = record(kBase + 20, 1000);
  net.start();
  EXPECT_EQ(beagle.sync->state(), SyncState::stopped);
  EXPECT_EQ(primergy.sync->state(), SyncState::stopped);
  EXPECT_EQ(beagle.sync->reason(),
            "pool 198.51.100.20-198.51.100.99 overlaps primergy's pool 198.51.100.90-198.51.100.189 "
            "(each router needs its own part of the range)");
  EXPECT_EQ(primergy.sync->reason(),
            "pool 198.51.100.90-198.51.100.189 overlaps beagle's pool 198.51.100.20-198.51.100.99 "
            "(each router needs its own part of the range)");
  EXPECT_TRUE(primergy.store.records.empty());
  beagle.store.commit({record(kBase + 21, 2000)});
  net.pump();
  EXPECT_TRUE(primergy.store.records.empty());
  EXPECT_EQ(beagle.sync->counters().records_sent, 0u);
}

TEST_F(LeaseSyncTest, DifferentSubnetsStopSync) {
  make(primergy, net.b, Scope{{*IpPrefix::parse("198.51.100.0/24"), *IpPrefix::parse("203.0.113.0/24")},
                              {*Ipv4Range::parse("198.51.100.100-198.51.100.189")}},
       2002);
  net.start();
  EXPECT_EQ(beagle.sync->state(), SyncState::stopped);
  EXPECT_EQ(beagle.sync->reason(), "the subnets differ: only on primergy 203.0.113.0/24");
  EXPECT_EQ(primergy.sync->reason(), "the subnets differ: only here 203.0.113.0/24");
}

TEST_F(LeaseSyncTest, ABacklogThatOverflowsWhileDownMakesTheNextExchangeFull) {
  LeaseSync::Options o;
  o.max_backlog = 10;
  make(beagle, net.a, scope("198.51.100.20-198.51.100.99"), 1001, o);
  net.start();
  net.cut_silently();
  net.reachable = false;
  net.advance(5s);
  for (std::uint32_t i = 20; i < 40; ++i) beagle.store.commit({record(kBase + i, 7000 + i)});
  EXPECT_EQ(beagle.sync->counters().backlog_overflows, 1u);
  EXPECT_LE(beagle.sync->backlog(), 10u);
  net.reachable = true;
  net.advance(6s);
  EXPECT_EQ(beagle.sync->state(), SyncState::in_sync);
  EXPECT_EQ(beagle.sync->counters().fulls_sent, 2u);
  EXPECT_EQ(primergy.store.records, beagle.store.records);
}

TEST_F(LeaseSyncTest, ForgedMessagesOnTheChannelAreCountedAndChangeNothing) {
  net.start();
  primergy.store.commit({record(kBase + 100, 5000)});
  net.pump();
  const auto before = beagle.store.records;
  // A batch of a stream beagle does not follow.
  ASSERT_TRUE(net.b.channel->send(lease_msg::batch, encode(Batch{999, 1, {record(kBase + 20, 99999)}})));
  // A batch that skips ahead in primergy's stream.
  ASSERT_TRUE(net.b.channel->send(lease_msg::batch, encode(Batch{2002, 50, {record(kBase + 21, 99999)}})));
  // Garbage, an ack of something never sent, a part without a beginning.
  const std::vector<std::byte> junk(7, std::byte{0xee});
  ASSERT_TRUE(net.b.channel->send(lease_msg::batch, junk));
  ASSERT_TRUE(net.b.channel->send(lease_msg::ack, encode(Position{1001, 1000})));
  ASSERT_TRUE(net.b.channel->send(lease_msg::full_part, encode_records(std::vector{record(kBase + 22, 9)})));
  net.pump();
  const auto& r = beagle.sync->counters().rejected;
  EXPECT_EQ(r[static_cast<std::size_t>(SyncReject::wrong_epoch)], 1u);
  EXPECT_EQ(r[static_cast<std::size_t>(SyncReject::gap)], 1u);
  EXPECT_EQ(r[static_cast<std::size_t>(SyncReject::malformed)], 1u);
  EXPECT_EQ(r[static_cast<std::size_t>(SyncReject::bad_ack)], 1u);
  EXPECT_EQ(r[static_cast<std::size_t>(SyncReject::unexpected)], 1u);
  EXPECT_EQ(beagle.store.records, before);
  EXPECT_EQ(beagle.sync->state(), SyncState::in_sync);
}

TEST_F(LeaseSyncTest, ABigFullExchangeGoesThroughAFullSendQueue) {
  // 60,000 records each way through a queue of 64 KiB: send() says full
  // and the sync continues on writable().
  Net small({.max_queue = 64 * 1024}, {.max_queue = 64 * 1024});
  Router a, b;
  a.sync = std::make_unique<LeaseSync>(*small.a.channel, &a.store, &a.store, Scope{{*IpPrefix::parse("198.18.0.0/15")}, {*Ipv4Range::parse("198.18.0.1-198.18.255.255")}}, 1, clock, LeaseSync::Options{}, nullptr);
  b.sync = std::make_unique<LeaseSync>(*small.b.channel, &b.store, &b.store, Scope{{*IpPrefix::parse("198.18.0.0/15")}, {*Ipv4Range::parse("198.19.0.1-198.19.255.255")}}, 2, clock, LeaseSync::Options{}, nullptr);
  for (std::uint32_t i = 0; i < 60000; ++i) {
    a.store.records[0xc6120001u + i] = record(0xc6120001u + i, 1000);
    b.store.records[0xc6130001u + i] = record(0xc6130001u + i, 1000);
  }
  small.start();
  EXPECT_EQ(a.sync->state(), SyncState::in_sync);
  EXPECT_EQ(b.sync->state(), SyncState::in_sync);
  EXPECT_EQ(a.store.records.size(), 120000u);
  EXPECT_EQ(a.store.records, b.store.records);
}

}  // namespace
}  // namespace pairgate::peer
