// peer/wire: the greeting and hello codecs. Each field of a valid message
// changed alone gives its one error; every truncated prefix is refused.
#include "peer/wire.h"

#include <gtest/gtest.h>

namespace pairgate::peer {
namespace {

Greeting sample_greeting() {
  Greeting g;
  g.role = Role::listener;
  for (std::size_t i = 0; i < g.nonce.size(); ++i) g.nonce[i] = static_cast<std::uint8_t>(i * 7);
  return g;
}

Hello sample_hello() {
  return Hello{"beagle", "0.1.0", {{0x0100, {std::byte{1}, std::byte{2}, std::byte{3}}}, {0x0110, {}}}};
}

TEST(Greeting, RoundTrips) {
  auto bytes = encode(sample_greeting());
  ASSERT_EQ(bytes.size(), kGreetingBytes);
  EXPECT_EQ(std::to_integer<char>(bytes[0]), 'P');
  auto g = parse_greeting(bytes);
  ASSERT_TRUE(g);
  EXPECT_EQ(*g, sample_greeting());
}

TEST(Greeting, EachBadFieldHasItsError) {
  struct Case {
    std::size_t offset;
    std::uint8_t value;
    Reject error;
  };
  for (const Case& c : {Case{0, 'X', Reject::bad_greeting}, Case{3, 'Q', Reject::bad_greeting},
                        Case{4, 2, Reject::bad_version}, Case{4, 0, Reject::bad_version},
                        Case{5, 2, Reject::bad_role}, Case{6, 1, Reject::bad_greeting},
                        Case{7, 0x80, Reject::bad_greeting}}) {
    auto bytes = encode(sample_greeting());
    bytes[c.offset] = std::byte{c.value};
    auto g = parse_greeting(bytes);
    ASSERT_FALSE(g) << c.offset;
    EXPECT_EQ(g.error(), c.error) << c.offset;
  }
}

TEST(Greeting, EveryOtherLengthIsRefused) {
  auto bytes = encode(sample_greeting());
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(parse_greeting(std::span(bytes).first(n))) << n;
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(parse_greeting(bytes));
}

TEST(Hello, RoundTrips) {
  auto h = parse_hello(encode(sample_hello()));
  ASSERT_TRUE(h);
  EXPECT_EQ(*h, sample_hello());
}

TEST(Hello, EveryTruncatedPrefixAndAnyTrailingByteIsRefused) {
  auto bytes = encode(sample_hello());
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    auto h = parse_hello(std::span(bytes).first(n));
    ASSERT_FALSE(h) << n;
    EXPECT_EQ(h.error(), Reject::bad_hello);
  }
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(parse_hello(bytes));
}

TEST(Hello, BoundsAreChecked) {
  Hello empty_node = sample_hello();
  empty_node.node.clear();
  EXPECT_FALSE(parse_hello(encode(empty_node)));
  Hello long_node = sample_hello();
  long_node.node = std::string(kMaxNode + 1, 'a');
  EXPECT_FALSE(parse_hello(encode(long_node)));
  Hello max_node = sample_hello();
  max_node.node = std::string(kMaxNode, 'a');
  EXPECT_TRUE(parse_hello(encode(max_node)));
  Hello twice = sample_hello();
  twice.parts.push_back(twice.parts.front());
  EXPECT_FALSE(parse_hello(encode(twice)));
  Hello many = sample_hello();
  many.parts.clear();
  for (std::uint16_t i = 0; i <= kMaxHelloParts; ++i) many.parts.push_back({static_cast<PeerMessageType>(0x100 + 16 * i), {}});
  EXPECT_FALSE(parse_hello(encode(many)));
  many.parts.pop_back();
  EXPECT_TRUE(parse_hello(encode(many)));
  Hello big = sample_hello();
  big.parts[0].bytes.assign(PeerChannel::kMaxHelloPart + 1, std::byte{0});
  EXPECT_FALSE(parse_hello(encode(big)));
}

TEST(Token, RoundTripsAndNeedsExactlyEightBytes) {
  auto t = parse_token(encode_token(0x0102030405060708ull));
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, 0x0102030405060708ull);
  auto bytes = encode_token(1);
  EXPECT_FALSE(parse_token(std::span(bytes).first(7)));
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(parse_token(bytes));
}

}  // namespace
}  // namespace pairgate::peer
