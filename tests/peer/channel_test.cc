// peer/channel: the handshake between two engines, which connection wins,
// keepalive, backoff, limits, and the users' message types, with time as
// an input.
#include "peer/channel.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/peer/channel_harness.h"

namespace pairgate::peer {
namespace {

using testing::Net;
using testing::RecordingUser;
using ::testing::ElementsAre;

std::vector<std::byte> bytes(std::string_view s) {
  auto b = std::as_bytes(std::span(s.data(), s.size()));
  return {b.begin(), b.end()};
}

std::uint64_t rejected(const Channel& c, Reject r) { return c.counters().rejected[static_cast<std::size_t>(r)]; }

TEST(Channel, BothDialAndOneConnectionIsKeptOnBothSides) {
  Net net;
  RecordingUser ua, ub;
  net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
  net.b.channel->attach(peer_types::lease_sync_first, "lease", ub);
  net.start();
  EXPECT_TRUE(net.a.channel->is_up());
  EXPECT_TRUE(net.b.channel->is_up());
  EXPECT_EQ(net.a.channel->connections(), 1u);
  EXPECT_EQ(net.b.channel->connections(), 1u);
  EXPECT_EQ(net.links(), 2u);  // one connection, both ends
  EXPECT_EQ(net.a.channel->role(), Role::dialer);
  EXPECT_EQ(net.a.channel->peer_node(), "primergy");
  EXPECT_EQ(net.b.channel->peer_node(), "beagle");
  EXPECT_EQ(net.a.channel->state(), LinkState::up);
  // Each user's last word is "up".
  EXPECT_EQ(ua.log.back(), "up primergy");
  EXPECT_EQ(ub.log.back(), "up beagle");
  EXPECT_EQ(ua.count("up") - ua.count("down"), 1u);
  EXPECT_EQ(ub.count("up") - ub.count("down"), 1u);
  // A message goes through on the kept connection.
  ASSERT_TRUE(net.a.channel->send(0x0101, bytes("batch")));
  net.pump();
  EXPECT_EQ(ub.log.back(), "msg 257 batch");
}

TEST(Channel, TheKeptConnectionIsTheOneDialedByTheFirstNameWhicheverCompletesFirst) {
  // Both dial at once and both connections complete, in the same order in
  // both runs; only the names change which one the rule keeps.
  for (std::string a_name : {"beagle", "zebra"}) {
    SCOPED_TRACE(a_name);
    Net net({}, {}, testing::test_key(), testing::test_key(), a_name, "primergy");
    RecordingUser ua, ub;
    net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
    net.b.channel->attach(peer_types::lease_sync_first, "lease", ub);
    net.start();
    EXPECT_EQ(net.a.channel->counters().sessions, 2u);
    EXPECT_EQ(net.a.channel->counters().replaced, 1u);
    const bool a_dials = a_name < std::string("primergy");
    EXPECT_EQ(net.a.channel->role(), a_dials ? Role::dialer : Role::listener);
    EXPECT_EQ(net.b.channel->role(), a_dials ? Role::listener : Role::dialer);
    EXPECT_EQ(net.a.channel->connections(), 1u);
    EXPECT_EQ(net.b.channel->connections(), 1u);
    EXPECT_EQ(net.links(), 2u);
    ASSERT_TRUE(net.b.channel->send(0x0101, bytes("on the kept one")));
    net.pump();
    EXPECT_EQ(ua.log.back(), "msg 257 on the kept one");
  }
}

TEST(Channel, UsersGetTheirPartOfThePeersHello) {
  Net net;
  RecordingUser ua, ub, other;
  ua.part = bytes("scope of beagle");
  ub.part = bytes("scope of primergy");
  net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
  net.b.channel->attach(peer_types::lease_sync_first, "lease", ub);
  net.b.channel->attach(peer_types::conntrack_first, "conntrack", other);
  net.start();
  EXPECT_EQ(ua.last_part, bytes("scope of primergy"));
  EXPECT_EQ(ub.last_part, bytes("scope of beagle"));
  EXPECT_TRUE(other.last_part.empty());  // beagle has no conntrack user
}

TEST(Channel, AMessageOfATypeNobodyRegisteredIsCountedAndTheChannelStays) {
  Net net;
  RecordingUser ua;
  net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
  net.start();
  ASSERT_TRUE(net.b.channel->send(peer_types::conntrack_first + 1, bytes("conntrack")));
  net.pump();
  EXPECT_EQ(rejected(*net.a.channel, Reject::unknown_type), 1u);
  EXPECT_TRUE(net.a.channel->is_up());
  EXPECT_EQ(ua.count("msg"), 0u);
}

TEST(Channel, AttachRefusesATakenOrForeignBlock) {
  Net net;
  RecordingUser u, v;
  net.a.channel->attach(peer_types::lease_sync_first, "lease", u);
  EXPECT_THROW(net.a.channel->attach(peer_types::lease_sync_first, "again", v), std::logic_error);
  EXPECT_THROW(net.a.channel->attach(0x0001, "channel", v), std::logic_error);
  EXPECT_THROW(net.a.channel->attach(0x0105, "unaligned", v), std::logic_error);
}

TEST(Channel, AWrongKeyNeverComesUpAndIsCountedOnBothSides) {
  Net net({}, {}, testing::test_key(), testing::test_key("a different secret of 32 bytes or more"));
  RecordingUser ua;
  net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
  net.start();
  net.advance(3s);
  EXPECT_FALSE(net.a.channel->is_up());
  EXPECT_FALSE(net.b.channel->is_up());
  EXPECT_GT(rejected(*net.a.channel, Reject::bad_auth), 0u);
  EXPECT_GT(rejected(*net.b.channel, Reject::bad_auth), 0u);
  EXPECT_EQ(ua.count("up"), 0u);
  EXPECT_EQ(net.a.channel->state(), LinkState::connecting);
}

TEST(Channel, AConnectionFromAnotherAddressIsRefused) {
  Net net;
  net.a.channel->start(net.now);
  EXPECT_EQ(net.a.channel->accepted(*IpAddress::parse("198.51.100.66"), net.now), 0u);
  EXPECT_EQ(rejected(*net.a.channel, Reject::unknown_source), 1u);
}

TEST(Channel, HandshakesAtOnceAreBoundedAndTimeOut) {
  ChannelOptions o;
  o.max_pending = 2;
  Net net(o);
  net.reachable = false;
  net.a.channel->start(net.now);
  net.pump();
  const auto peer = *IpAddress::parse("198.51.100.3");
  const ConnId one = net.a.channel->accepted(peer, net.now);
  const ConnId two = net.a.channel->accepted(peer, net.now);
  EXPECT_NE(one, 0u);
  EXPECT_NE(two, 0u);
  EXPECT_EQ(net.a.channel->accepted(peer, net.now), 0u);
  EXPECT_EQ(rejected(*net.a.channel, Reject::busy), 1u);
  net.advance(5s);
  EXPECT_EQ(rejected(*net.a.channel, Reject::handshake_timeout), 2u);
  EXPECT_EQ(net.a.channel->connections(), 0u);
}

TEST(Channel, TheSameNodeNameOnBothEndsIsRefused) {
  Net net;
  ChannelOptions o;
  o.node = "beagle";
  o.master = testing::test_key();
  o.peer = *IpAddress::parse("198.51.100.2");
  net.b.channel = std::make_unique<Channel>(o, testing::counting_random());
  net.start();
  EXPECT_FALSE(net.a.channel->is_up());
  EXPECT_GT(rejected(*net.a.channel, Reject::same_node), 0u);
}

TEST(Channel, PingsMeasureTheRoundTrip) {
  Net net;
  net.start();
  EXPECT_FALSE(net.a.channel->rtt());
  net.advance(1s);
  ASSERT_TRUE(net.a.channel->rtt());
  EXPECT_EQ(*net.a.channel->rtt(), 0s);  // delivery is instant here
  net.advance(10s);
  EXPECT_TRUE(net.a.channel->is_up());
  EXPECT_EQ(net.a.channel->counters().timeouts, 0u);
}

TEST(Channel, SilenceForDeadAfterDropsTheChannelAndRedialsWithBackoff) {
  Net net;
  RecordingUser ua;
  net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
  net.start();
  ASSERT_TRUE(net.a.channel->is_up());
  const TimePoint cut = net.now;
  net.cut_silently();
  net.reachable = false;
  net.advance(4s - 1ms);
  EXPECT_TRUE(net.a.channel->is_up());
  net.advance(1ms);
  EXPECT_FALSE(net.a.channel->is_up());
  EXPECT_EQ(net.a.channel->state(), LinkState::down);
  EXPECT_EQ(net.a.channel->since(), cut + 4s);
  EXPECT_EQ(net.a.channel->counters().timeouts, 1u);
  EXPECT_EQ(ua.log.back(), "down nothing heard for 4000 ms");
  // Redials at +250 ms, then 500 ms, 1 s, 2 s, 4 s, 5 s, 5 s after each failure.
  const auto dials_before = net.a.channel->counters().dials;
  net.advance(250ms);
  EXPECT_EQ(net.a.channel->counters().dials, dials_before + 1);
  net.advance(499ms);
  EXPECT_EQ(net.a.channel->counters().dials, dials_before + 1);
  net.advance(1ms);
  EXPECT_EQ(net.a.channel->counters().dials, dials_before + 2);
  net.advance(1s + 2s + 4s + 5s + 5s);
  EXPECT_EQ(net.a.channel->counters().dials, dials_before + 7);
  // The network is back: the next dial connects and the backoff starts over.
  net.reachable = true;
  net.deliver = true;
  net.advance(5s);
  EXPECT_TRUE(net.a.channel->is_up());
  EXPECT_EQ(ua.log.back(), "up primergy");
}

TEST(Channel, APeerThatDiesIsDownAtOnceAndBackWhenItRestarts) {
  Net net;
  RecordingUser ua;
  net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
  net.start();
  net.kill(net.b);
  EXPECT_FALSE(net.a.channel->is_up());
  EXPECT_EQ(ua.log.back(), "down connection reset");
  // primergy restarts: a fresh engine that dials at once.
  ChannelOptions o;
  o.node = "primergy";
  o.master = testing::test_key();
  o.peer = *IpAddress::parse("198.51.100.2");
  net.b.channel = std::make_unique<Channel>(o, testing::counting_random());
  net.b.channel->start(net.now);
  net.pump();
  EXPECT_TRUE(net.a.channel->is_up());
  EXPECT_EQ(ua.log.back(), "up primergy");
}

TEST(Channel, AFullQueueRefusesAndSaysWhenThereIsRoomAgain) {
  ChannelOptions o;
  o.max_queue = 1000;
  Net net(o);
  RecordingUser ua;
  net.a.channel->attach(peer_types::lease_sync_first, "lease", ua);
  net.start();
  net.auto_written = false;
  const std::vector<std::byte> payload(400);
  int sent = 0;
  while (net.a.channel->send(0x0101, payload)) ++sent;
  EXPECT_EQ(sent, 3);  // 3 x (400 + 23) passes 1000
  EXPECT_GE(net.a.channel->queued(), 1000u);
  // The adapter reports the writes done.
  for (const auto& e : net.a.channel->take_effects()) {
    if (auto* w = std::get_if<Write>(&e)) net.a.channel->written(w->conn, w->bytes.size());
  }
  EXPECT_EQ(ua.log.back(), "writable");
  EXPECT_TRUE(net.a.channel->send(0x0101, payload));
}

TEST(Channel, StopClosesEverythingAndDialsNoMore) {
  Net net;
  net.start();
  net.a.channel->stop(net.now);
  net.pump();
  EXPECT_FALSE(net.a.channel->is_up());
  EXPECT_FALSE(net.b.channel->is_up());
  const auto dials = net.a.channel->counters().dials;
  net.advance(30s);
  EXPECT_EQ(net.a.channel->counters().dials, dials);
  // primergy keeps trying; beagle refuses while stopped.
  EXPECT_GT(net.b.channel->counters().dials, 1u);
  EXPECT_FALSE(net.b.channel->is_up());
}

}  // namespace
}  // namespace pairgate::peer
