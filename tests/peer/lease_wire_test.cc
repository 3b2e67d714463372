// peer/lease_wire: lease sync's messages and hello part round-trip; every
// truncated prefix and each out-of-range field is refused.
#include "peer/lease_wire.h"

#include <gtest/gtest.h>

namespace pairgate::peer {
namespace {

LeaseRecord record(std::uint32_t n, bool hw = true) {
  LeaseRecord r;
  r.address = Ipv4Address(0xc6336400u + n);  // 198.51.100.n
  r.state = LeaseRecordState::leased;
  r.cltt = 1767225600 + n;
  r.expires = r.cltt + 600;
  if (hw) r.hw_address = MacAddress({0x52, 0x54, 0, 0, 0, static_cast<std::uint8_t>(n)});
  r.client = std::string("h\x01\x52\x54\x00\x00\x00", 7) + static_cast<char>(n);
  r.hostname = "host" + std::to_string(n);
  return r;
}

TEST(LeaseWire, HelloRoundTrips) {
  LeaseHello h{0x1122334455667788ull, 42, 7,
               Scope{{*IpPrefix::parse("198.51.100.0/24")}, {*Ipv4Range::parse("198.51.100.20-198.51.100.99")}}};
  auto back = parse_lease_hello(encode(h));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, h);
  auto bytes = encode(h);
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(parse_lease_hello(std::span(bytes).first(n))) << n;
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(parse_lease_hello(bytes));
}

TEST(LeaseWire, HelloFieldsOutOfRange) {
  LeaseHello h{1, 0, 0, Scope{{*IpPrefix::parse("198.51.100.0/24")}, {*Ipv4Range::parse("198.51.100.20-198.51.100.99")}}};
  auto bytes = encode(h);
  auto version = bytes;
  version[0] = std::byte{2};
  EXPECT_EQ(parse_lease_hello(version).error(), LeaseWireError::malformed);
  auto length = bytes;
  length[25 + 4] = std::byte{33};  // the subnet's prefix length
  EXPECT_EQ(parse_lease_hello(length).error(), LeaseWireError::bad_record);
  auto backwards = bytes;
  std::swap_ranges(backwards.end() - 8, backwards.end() - 4, backwards.end() - 4);
  EXPECT_EQ(parse_lease_hello(backwards).error(), LeaseWireError::bad_record);
  auto many = bytes;
  many[25] = std::byte{0xff};  // subnets count high byte
  EXPECT_EQ(parse_lease_hello(many).error(), LeaseWireError::too_many);
}

TEST(LeaseWire, BatchRoundTripsWithAndWithoutHardwareAddresses) {
  Batch b{9, 100, {record(20), record(21, false), record(22)}};
  b.records[1].state = LeaseRecordState::declined;
  b.records[1].client.clear();
  b.records[1].hostname.clear();
  b.records[2].hostname = std::string(255, 'x');
  b.records[2].client = "c" + std::string(255, '\x01');
  auto back = parse_batch(encode(b));
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, b);
  auto bytes = encode(b);
  for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(parse_batch(std::span(bytes).first(n))) << n;
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(parse_batch(bytes));
}

TEST(LeaseWire, BatchFieldsOutOfRange) {
  Batch b{9, 100, {record(20)}};
  auto bytes = encode(b);
  const std::size_t rec = 8 + 8 + 2;
  auto state = bytes;
  state[rec + 4] = std::byte{5};
  EXPECT_EQ(parse_batch(state).error(), LeaseWireError::bad_record);
  state[rec + 4] = std::byte{0};
  EXPECT_EQ(parse_batch(state).error(), LeaseWireError::bad_record);
  auto flags = bytes;
  flags[rec + 5] = std::byte{3};
  EXPECT_EQ(parse_batch(flags).error(), LeaseWireError::bad_record);
  auto zero_seq = bytes;
  std::fill(zero_seq.begin() + 8, zero_seq.begin() + 16, std::byte{0});
  EXPECT_EQ(parse_batch(zero_seq).error(), LeaseWireError::malformed);
  Batch empty{9, 100, {}};
  EXPECT_EQ(parse_batch(encode(empty)).error(), LeaseWireError::malformed);
  auto client = bytes;
  const std::size_t client_len = rec + 4 + 1 + 1 + 8 + 8 + 6;
  client[client_len] = std::byte{0x01};  // 256 + 8 bytes claimed
  client[client_len + 1] = std::byte{0x08};
  EXPECT_EQ(parse_batch(client).error(), LeaseWireError::bad_record);
}

TEST(LeaseWire, AtMostKMaxRecordsPerMessage) {
  std::vector<LeaseRecord> many(kMaxRecordsPerMessage + 1, record(1, false));
  EXPECT_EQ(parse_records(encode_records(many)).error(), LeaseWireError::too_many);
  many.pop_back();
  auto ok = parse_records(encode_records(many));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->size(), kMaxRecordsPerMessage);
}

TEST(LeaseWire, PositionNeedsExactlySixteenBytes) {
  auto bytes = encode(Position{3, 4});
  ASSERT_EQ(bytes.size(), 16u);
  EXPECT_EQ(*parse_position(bytes), (Position{3, 4}));
  EXPECT_FALSE(parse_position(std::span(bytes).first(15)));
  bytes.push_back(std::byte{0});
  EXPECT_FALSE(parse_position(bytes));
}

}  // namespace
}  // namespace pairgate::peer
