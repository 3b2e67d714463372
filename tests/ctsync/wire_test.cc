#include "ctsync/wire.h"

#include <gtest/gtest.h>

namespace pairgate::ctsync {
namespace {

Change sample(std::uint16_t port, Op op = Op::update, L4 l4 = L4::udp) {
  Change c;
  c.op = op;
  c.entry.key = Key{l4, Tuple{0xc000020a, 0xc6336409, port, 9000}};  // 192.0.2.10 -> 198.51.100.9
  c.entry.reply = Tuple{0xc6336409, 0xc000020a, 9000, port};
  c.entry.tcp_state = l4 == L4::tcp ? 3 : 0;
  c.entry.timeout_s = 120;
  c.entry.mark = 0x00010000;
  c.entry.status = 0x6;
  return c;
}

TEST(CtsyncWire, ChangesRoundTrip) {
  std::vector<Change> in = {sample(5000), sample(5001, Op::destroy), sample(40000, Op::update, L4::tcp),
                            sample(7, Op::update, L4::icmp)};
  auto bytes = encode_changes(in);
  EXPECT_EQ(bytes.size(), 3 + in.size() * kChangeBytes);
  auto out = parse_changes(bytes);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(*out, in);
}

TEST(CtsyncWire, EmptyBatchIsValid) {
  auto out = parse_changes(encode_changes({}));
  ASSERT_TRUE(out.has_value());
  EXPECT_TRUE(out->empty());
}

TEST(CtsyncWire, DumpRequestRoundTrip) {
  EXPECT_TRUE(parse_dump_request(encode_dump_request()).has_value());
  std::vector<std::byte> longer = encode_dump_request();
  longer.push_back(std::byte{0});
  EXPECT_EQ(parse_dump_request(longer).error(), WireError::malformed);
  EXPECT_EQ(parse_dump_request({}).error(), WireError::malformed);
  EXPECT_EQ(parse_dump_request(std::vector<std::byte>{std::byte{2}}).error(), WireError::bad_version);
}

TEST(CtsyncWire, EveryTruncationIsRefused) {
  auto bytes = encode_changes(std::vector<Change>{sample(1), sample(2)});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(parse_changes(std::span(bytes).first(n)).has_value()) << n;
  }
  bytes.push_back(std::byte{0});
  EXPECT_EQ(parse_changes(bytes).error(), WireError::malformed);  // a trailing byte
}

TEST(CtsyncWire, BadFieldsAreRefused) {
  const auto good = encode_changes(std::vector<Change>{sample(1, Op::update, L4::tcp)});
  auto with = [&](std::size_t at, std::uint8_t v) {
    auto b = good;
    b[at] = std::byte{v};
    return parse_changes(b);
  };
  EXPECT_EQ(with(0, 2).error(), WireError::bad_version);
  EXPECT_EQ(with(3, 0).error(), WireError::bad_field);   // op 0
  EXPECT_EQ(with(3, 3).error(), WireError::bad_field);   // op 3
  EXPECT_EQ(with(4, 2).error(), WireError::bad_field);   // IGMP
  EXPECT_EQ(with(4, 17).error(), WireError::bad_field);  // UDP with a TCP state
  EXPECT_EQ(with(29, 10).error(), WireError::bad_field);  // TCP state past the kernel's
  EXPECT_EQ(with(30, 0xff).error(), WireError::bad_field);  // a timeout of years
  // A count that does not match the bytes.
  auto b = good;
  b[2] = std::byte{2};
  EXPECT_EQ(parse_changes(b).error(), WireError::malformed);
}

TEST(CtsyncWire, CountAboveTheLimitIsRefused) {
  std::vector<Change> many(kMaxChangesPerMessage + 1, sample(1));
  EXPECT_EQ(parse_changes(encode_changes(many)).error(), WireError::malformed);
  many.pop_back();
  EXPECT_TRUE(parse_changes(encode_changes(many)).has_value());
}

}  // namespace
}  // namespace pairgate::ctsync
