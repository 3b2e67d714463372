#include "tunnel/dns.h"

#include <gtest/gtest.h>

#include "core/byte_io.h"
#include "tests/support/hex.h"

namespace pairgate::tunnel::dns {
namespace {

using testing::hex;

// A recursive resolver's answer to "gw.transix.jp AAAA" with ID 0x1234:
// header (QR RD RA), the question, two AAAA records whose owner is a
// pointer to offset 12 (c00c), TTL 300 and 120.
const std::string kAnswer =
    "1234" "8180" "0001" "0002" "0000" "0000"
    "02" "6777" "07" "7472616e736978" "02" "6a70" "00" "001c" "0001"
    "c00c" "001c" "0001" "0000012c" "0010" "24048e010000000000000000feed0100"
    "c00c" "001c" "0001" "00000078" "0010" "24048e010000000000000000feed0101";

std::vector<std::byte> answer() {
  auto m = hex(kAnswer);
  return m;
}

TEST(DnsQuery, IsOneRecursiveAaaaQuestion) {
  auto q = build_query(0x1234, "GW.transix.jp.");
  EXPECT_EQ(q, hex("12340100000100000000000002677707" "7472616e736978" "026a7000001c0001"));
  EXPECT_TRUE(build_query(1, "").empty());
  EXPECT_TRUE(build_query(1, "a..b").empty());
  EXPECT_TRUE(build_query(1, std::string(64, 'a') + ".jp").empty());
}

TEST(DnsResponse, GivesEveryAddressAndTheSmallestTtl) {
  auto r = parse_response(answer(), 0x1234, "gw.transix.jp");
  ASSERT_EQ(r.error, Error::none);
  ASSERT_EQ(r.addresses.size(), 2u);
  EXPECT_EQ(r.addresses[0].to_string(), "2404:8e01::feed:100");
  EXPECT_EQ(r.addresses[1].to_string(), "2404:8e01::feed:101");
  EXPECT_EQ(r.ttl, 120u);
  EXPECT_EQ(r.canonical_name, "gw.transix.jp");
}

TEST(DnsResponse, MatchesTheQuestionWithoutRegardToCase) {
  EXPECT_EQ(parse_response(answer(), 0x1234, "GW.Transix.JP.").error, Error::none);
}

// Found by the dns_client fuzz target: a label holding a '.' read as
// dotted text equals a different name. The question "gw.transix" + "jp"
// as two labels must not match "gw" "transix" "jp", nor may a CNAME point
// into a name that cannot be told apart from another.
TEST(DnsResponse, ALabelWithADotIsABadName) {
  const std::string one_label =
      "1234" "8180" "0001" "0001" "0000" "0000"
      "0a" "67772e7472616e736978" "02" "6a70" "00" "001c" "0001"
      "c00c" "001c" "0001" "0000012c" "0010" "24048e010000000000000000feed0100";
  EXPECT_EQ(parse_response(hex(one_label), 0x1234, "gw.transix.jp").error, Error::bad_name);
  const std::string cname_to_dotted_label =
      "0007" "8180" "0001" "0002" "0000" "0000"
      "04" "61667472" "07" "6578616d706c65" "00" "001c" "0001"
      "c00c" "0005" "0001" "0000003c" "0005" "03" "622e63" "00"
      "c02a" "001c" "0001" "0000012c" "0010" "20010db8000000000000000000000001";
  EXPECT_EQ(parse_response(hex(cname_to_dotted_label), 7, "aftr.example").error, Error::bad_name);
}

// One field changed from the valid answer, one specific error.
TEST(DnsResponse, TableOfBrokenFields) {
  struct Case {
    std::size_t offset;
    std::string bytes;
    Error error;
  } cases[] = {
      {0, "1235", Error::id_mismatch},
      {2, "0180", Error::not_response},
      {2, "8980", Error::bad_opcode},
      {2, "8380", Error::truncated},
      {2, "8183", Error::name_error},
      {2, "8182", Error::server_failure},
      {4, "0002", Error::question_mismatch},
      {13, "68", Error::question_mismatch},   // "hw"
      {27, "0001", Error::question_mismatch}, // qtype A
      {31, "c020", Error::pointer_loop},      // forwards
      {41, "000f", Error::bad_record},        // rdlength 15: the rest misparses
      {31, "8000", Error::bad_name},          // label type 10
  };
  for (const auto& c : cases) {
    auto m = answer();
    auto patch = hex(c.bytes);
    std::copy(patch.begin(), patch.end(), m.begin() + static_cast<std::ptrdiff_t>(c.offset));
    auto r = parse_response(m, 0x1234, "gw.transix.jp");
    if (c.error == Error::bad_record) {
      EXPECT_NE(r.error, Error::none) << "offset " << c.offset;
    } else {
      EXPECT_EQ(r.error, c.error) << "offset " << c.offset << " got " << to_string(r.error);
    }
    EXPECT_TRUE(r.addresses.empty());
  }
}

TEST(DnsResponse, EveryTruncatedPrefixIsACleanError) {
  auto m = answer();
  for (std::size_t n = 0; n < m.size(); ++n) {
    auto r = parse_response(std::span(m).first(n), 0x1234, "gw.transix.jp");
    EXPECT_NE(r.error, Error::none) << n;
    EXPECT_TRUE(r.addresses.empty());
  }
}

// Builds answers record by record for the chain tests.
struct Message {
  ByteWriter w;
  explicit Message(unsigned answers, std::uint16_t flags = 0x8180) {
    w.u16(7);
    w.u16(flags);
    w.u16(1);
    w.u16(static_cast<std::uint16_t>(answers));
    w.u16(0);
    w.u16(0);
    name("aftr.example");
    w.u16(kTypeAaaa);
    w.u16(kClassIn);
  }
  void name(std::string_view n) {
    auto q = build_query(0, n);
    w.bytes(std::span(q).subspan(12, q.size() - 16));
  }
  void cname(std::string_view owner, std::string_view target, std::uint32_t ttl) {
    name(owner);
    w.u16(kTypeCname);
    w.u16(kClassIn);
    w.u32(ttl);
    auto q = build_query(0, target);
    w.u16(static_cast<std::uint16_t>(q.size() - 16));
    name(target);
  }
  void aaaa(std::string_view owner, std::string_view address, std::uint32_t ttl, std::uint16_t klass = kClassIn) {
    name(owner);
    w.u16(kTypeAaaa);
    w.u16(klass);
    w.u32(ttl);
    w.u16(16);
    const Ipv6Address a = *Ipv6Address::parse(address);
    for (auto b : a.bytes()) w.u8(b);
  }
};

TEST(DnsResponse, FollowsACnameChain) {
  Message m(4);
  m.aaaa("other.example", "2001:db8::9", 5);  // not on the chain: ignored
  m.cname("aftr.example", "b.example", 600);
  m.cname("b.example", "c.example", 60);
  m.aaaa("c.example", "2001:db8::1", 3600);
  auto r = parse_response(m.w.data(), 7, "aftr.example");
  ASSERT_EQ(r.error, Error::none);
  ASSERT_EQ(r.addresses.size(), 1u);
  EXPECT_EQ(r.addresses[0].to_string(), "2001:db8::1");
  EXPECT_EQ(r.ttl, 60u);
  EXPECT_EQ(r.canonical_name, "c.example");
}

TEST(DnsResponse, CnameLoopIsAnError) {
  Message m(2);
  m.cname("aftr.example", "b.example", 60);
  m.cname("b.example", "aftr.example", 60);
  EXPECT_EQ(parse_response(m.w.data(), 7, "aftr.example").error, Error::cname_loop);
}

TEST(DnsResponse, NoAaaaAtTheEndIsNoData) {
  Message m(2);
  m.cname("aftr.example", "b.example", 60);
  m.aaaa("aftr.example", "2001:db8::1", 60);  // beside a CNAME: not at the chain's end
  EXPECT_EQ(parse_response(m.w.data(), 7, "aftr.example").error, Error::no_data);
  Message chaos(1);
  chaos.aaaa("aftr.example", "2001:db8::1", 60, 3);
  EXPECT_EQ(parse_response(chaos.w.data(), 7, "aftr.example").error, Error::no_data);
}

TEST(DnsResponse, HugeTtlCountsAsZero) {
  Message m(1);
  m.aaaa("aftr.example", "2001:db8::1", 0x80000000u);
  auto r = parse_response(m.w.data(), 7, "aftr.example");
  ASSERT_EQ(r.error, Error::none);
  EXPECT_EQ(r.ttl, 0u);
}

TEST(DnsResponse, ShortRdataIsAnError) {
  auto m = answer();
  m[42] = std::byte{0x0f};  // the first AAAA's rdlength 15, and one byte fewer
  m.erase(m.begin() + 58);
  EXPECT_EQ(parse_response(m, 0x1234, "gw.transix.jp").error, Error::bad_record);
}

}  // namespace
}  // namespace pairgate::tunnel::dns
