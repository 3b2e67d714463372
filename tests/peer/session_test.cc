// peer/session: the handshake, keys and frames of one connection. A wrong
// key, a tampered, truncated, replayed or reordered frame and bytes
// recorded from another connection are all refused.
#include "peer/session.h"

#include <gtest/gtest.h>

#include <cstring>

namespace pairgate::peer {
namespace {

Key key_of(std::string_view secret) {
  return master_key(std::span(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
}

const Key kKey = key_of("0123456789abcdef0123456789abcdef-the-shared-secret");

Nonce nonce(std::uint8_t seed) {
  Nonce n{};
  for (std::size_t i = 0; i < n.size(); ++i) n[i] = static_cast<std::uint8_t>(seed + i);
  return n;
}

std::vector<std::byte> payload(std::string_view s) {
  auto b = std::as_bytes(std::span(s.data(), s.size()));
  return {b.begin(), b.end()};
}

std::string text(const std::vector<std::byte>& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Two sessions with every byte each sends handed to the other.
struct Pair {
  Session dialer;
  Session listener;
  std::vector<std::byte> to_listener;  // everything the dialer sent, in order
  std::vector<std::byte> to_dialer;
  Pair(const Key& dk, const Key& lk, std::uint8_t dn = 1, std::uint8_t ln = 101)
      : dialer(Role::dialer, dk, nonce(dn)), listener(Role::listener, lk, nonce(ln)) {}

  // Exchanges greetings and headers; returns the errors, if any.
  std::pair<std::optional<Reject>, std::optional<Reject>> handshake() {
    auto dg = dialer.greeting();
    auto lg = listener.greeting();
    to_listener.insert(to_listener.end(), dg.begin(), dg.end());
    to_dialer.insert(to_dialer.end(), lg.begin(), lg.end());
    auto rd = dialer.receive(lg);
    auto rl = listener.receive(dg);
    to_listener.insert(to_listener.end(), rd.send.begin(), rd.send.end());
    to_dialer.insert(to_dialer.end(), rl.send.begin(), rl.send.end());
    auto rd2 = dialer.receive(rl.send);
    auto rl2 = listener.receive(rd.send);
    return {rd2.error, rl2.error};
  }
  std::vector<std::byte> seal_from_dialer(PeerMessageType t, std::string_view s) {
    std::vector<std::byte> out;
    dialer.seal(t, payload(s), out);
    to_listener.insert(to_listener.end(), out.begin(), out.end());
    return out;
  }
};

TEST(Session, FramesFlowBothWaysAfterTheHandshake) {
  Pair p(kKey, kKey);
  auto [de, le] = p.handshake();
  ASSERT_FALSE(de);
  ASSERT_FALSE(le);
  ASSERT_TRUE(p.dialer.keyed());
  auto f = p.seal_from_dialer(0x0101, "lease batch");
  auto r = p.listener.receive(f);
  ASSERT_FALSE(r.error);
  ASSERT_EQ(r.frames.size(), 1u);
  EXPECT_EQ(r.frames[0].type, 0x0101);
  EXPECT_EQ(text(r.frames[0].payload), "lease batch");

  std::vector<std::byte> back;
  p.listener.seal(0x0105, payload("ack"), back);
  auto r2 = p.dialer.receive(back);
  ASSERT_EQ(r2.frames.size(), 1u);
  EXPECT_EQ(text(r2.frames[0].payload), "ack");
}

TEST(Session, BytesMayArriveOneAtATime) {
  Pair p(kKey, kKey);
  p.handshake();
  std::vector<std::byte> wire;
  for (int i = 0; i < 3; ++i) {
    auto f = p.seal_from_dialer(0x0101, "message " + std::to_string(i));
    wire.insert(wire.end(), f.begin(), f.end());
  }
  std::vector<std::string> got;
  for (std::byte b : wire) {
    auto r = p.listener.receive(std::span(&b, 1));
    ASSERT_FALSE(r.error);
    for (auto& f : r.frames) got.push_back(text(f.payload));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"message 0", "message 1", "message 2"}));
  EXPECT_FALSE(p.listener.partial());
}

TEST(Session, AWrongKeyFailsTheFirstFrame) {
  Pair p(kKey, key_of("another secret of at least thirty-two bytes"));
  auto [de, le] = p.handshake();
  ASSERT_FALSE(le);  // the header alone cannot tell
  auto r = p.listener.receive(p.seal_from_dialer(0x0001, "hello"));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, Reject::bad_auth);
  EXPECT_TRUE(r.frames.empty());
}

TEST(Session, EveryTamperedByteOfAFrameFails) {
  Pair base(kKey, kKey);
  base.handshake();
  const auto frame = base.seal_from_dialer(0x0101, "lease 198.51.100.20");
  for (std::size_t i = 0; i < frame.size(); ++i) {
    Pair p(kKey, kKey);
    p.handshake();
    auto f = p.seal_from_dialer(0x0101, "lease 198.51.100.20");
    f[i] ^= std::byte{0x01};
    auto r = p.listener.receive(f);
    // A changed length may also just leave the frame incomplete; it never
    // yields a frame.
    EXPECT_TRUE(r.frames.empty()) << i;
    if (i >= kLengthBytes) {
      ASSERT_TRUE(r.error) << i;
      EXPECT_EQ(*r.error, Reject::bad_auth) << i;
    }
  }
}

TEST(Session, AReplayedOrReorderedFrameFails) {
  Pair p(kKey, kKey);
  p.handshake();
  auto first = p.seal_from_dialer(0x0101, "one");
  auto second = p.seal_from_dialer(0x0101, "two");
  ASSERT_EQ(p.listener.receive(first).frames.size(), 1u);
  auto replay = p.listener.receive(first);
  ASSERT_TRUE(replay.error);
  EXPECT_EQ(*replay.error, Reject::bad_auth);

  Pair q(kKey, kKey);
  q.handshake();
  auto a = q.seal_from_dialer(0x0101, "one");
  auto b = q.seal_from_dialer(0x0101, "two");
  auto r = q.listener.receive(b);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, Reject::bad_auth);
  (void)second;
  (void)a;
}

TEST(Session, ARecordedConnectionReplayedToANewListenerFails) {
  // A stranger records everything beagle's dialer sent and plays it to a
  // listener again: the listener's nonce is new, so are the keys.
  Pair recorded(kKey, kKey, 1, 101);
  recorded.handshake();
  recorded.seal_from_dialer(0x0001, "hello");
  recorded.seal_from_dialer(0x0101, "lease batch");
  Session fresh(Role::listener, kKey, nonce(202));
  auto r = fresh.receive(recorded.to_listener);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, Reject::bad_auth);
  EXPECT_TRUE(r.frames.empty());
}

TEST(Session, ASameNonceGivesTheSameKeysOnlyWithTheSameGreetings) {
  // The same listener nonce again (it never is: 32 random bytes) would
  // accept the replay; this checks the keys depend on both greetings.
  Pair recorded(kKey, kKey, 1, 101);
  recorded.handshake();
  recorded.seal_from_dialer(0x0101, "lease batch");
  Session same(Role::listener, kKey, nonce(101));
  auto r = same.receive(recorded.to_listener);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.frames.size(), 1u);
}

TEST(Session, ALengthOverTheLimitIsRefusedBeforeReading) {
  Pair p(kKey, kKey);
  p.handshake();
  std::vector<std::byte> huge = {std::byte{0x7f}, std::byte{0xff}, std::byte{0xff}, std::byte{0xff}};
  auto r = p.listener.receive(huge);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, Reject::oversize);
}

TEST(Session, AFrameTooShortForATypeIsRefused) {
  Pair p(kKey, kKey);
  p.handshake();
  std::vector<std::byte> tiny = {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{kSealOverhead + 1}};
  tiny.resize(4 + kSealOverhead + 1);
  auto r = p.listener.receive(tiny);
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, Reject::bad_frame);
}

TEST(Session, ATruncatedFrameIsPartialAndYieldsNothing) {
  Pair p(kKey, kKey);
  p.handshake();
  auto f = p.seal_from_dialer(0x0101, "cut short");
  for (std::size_t n = 1; n < f.size(); ++n) {
    Pair q(kKey, kKey);
    q.handshake();
    auto g = q.seal_from_dialer(0x0101, "cut short");
    auto r = q.listener.receive(std::span(g).first(n));
    EXPECT_FALSE(r.error) << n;
    EXPECT_TRUE(r.frames.empty()) << n;
    EXPECT_TRUE(q.listener.partial()) << n;
  }
}

TEST(Session, BothEndsClaimingOneRoleIsRefused) {
  Session a(Role::dialer, kKey, nonce(1));
  Session b(Role::dialer, kKey, nonce(2));
  auto r = a.receive(b.greeting());
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, Reject::bad_role);
}

TEST(Session, NotAGreeting) {
  Session a(Role::listener, kKey, nonce(1));
  std::string http = "GET / HTTP/1.1\r\nHost: 198.51.100.2\r\nAccept: */*\r\n\r\n";
  auto r = a.receive(std::as_bytes(std::span(http.data(), http.size())));
  ASSERT_TRUE(r.error);
  EXPECT_EQ(*r.error, Reject::bad_greeting);
  // Nothing more is read after an error.
  EXPECT_FALSE(a.receive(Session(Role::dialer, kKey, nonce(3)).greeting()).error);
  EXPECT_FALSE(a.keyed());
}

TEST(Crypto, MasterKeyDependsOnEveryByteOfTheSecret) {
  EXPECT_EQ(key_of("0123456789abcdef0123456789abcdef"), key_of("0123456789abcdef0123456789abcdef"));
  EXPECT_NE(key_of("0123456789abcdef0123456789abcdef"), key_of("0123456789abcdef0123456789abcdeg"));
  EXPECT_NE(key_of("0123456789abcdef0123456789abcdef"), key_of("0123456789abcdef0123456789abcdef0"));
}

}  // namespace
}  // namespace pairgate::peer
