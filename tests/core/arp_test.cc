// core/arp: ARP bodies as AF_PACKET SOCK_DGRAM reads and writes them
// (RFC 826, Ethernet and IPv4). parse() sees frames from anyone on the
// link, so every malformed or truncated body must give nullopt.
#include "core/arp.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"

namespace pairgate::arp {
namespace {

using testing::hex;

// A reply: 192.0.2.9 is at 52:54:00:12:34:56, to 192.0.2.3 at 02:00:00:00:00:03.
const std::string kReplyHex =
    "0001" "0800" "06" "04" "0002"
    "525400123456" "c0000209"
    "020000000003" "c0000203";

MacAddress mac(const char* text) { return *MacAddress::parse(text); }
Ipv4Address ip(const char* text) { return *Ipv4Address::parse(text); }

TEST(Arp, ParsesAReply) {
  auto m = parse(hex(kReplyHex));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->op, kReply);
  EXPECT_EQ(m->sender_mac, mac("52:54:00:12:34:56"));
  EXPECT_EQ(m->sender_ip, ip("192.0.2.9"));
  EXPECT_EQ(m->target_mac, mac("02:00:00:00:00:03"));
  EXPECT_EQ(m->target_ip, ip("192.0.2.3"));
}

TEST(Arp, BuildIsTheWireLayoutAndParsesBack) {
  Message m{kReply, mac("52:54:00:12:34:56"), ip("192.0.2.9"), mac("02:00:00:00:00:03"), ip("192.0.2.3")};
  EXPECT_EQ(build(m), hex(kReplyHex));
  auto back = parse(build(m));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->op, m.op);
  EXPECT_EQ(back->sender_mac, m.sender_mac);
  EXPECT_EQ(back->sender_ip, m.sender_ip);
  EXPECT_EQ(back->target_mac, m.target_mac);
  EXPECT_EQ(back->target_ip, m.target_ip);
}

// RFC 5227 §2.1.1 and §3: a probe asks from 0.0.0.0; an announcement
// (gratuitous ARP) names the address as both sender and target.
TEST(Arp, ProbeAndGratuitous) {
  EXPECT_EQ(probe(mac("02:00:00:00:00:03"), ip("192.0.2.50")),
            hex("0001080006040001" "020000000003" "00000000" "000000000000" "c0000232"));
  EXPECT_EQ(gratuitous(mac("02:00:00:00:00:03"), ip("192.0.2.2")),
            hex("0001080006040001" "020000000003" "c0000202" "000000000000" "c0000202"));
}

// Ethernet pads a 28-byte ARP body to the 46-byte minimum: the padding is
// not part of the message.
TEST(Arp, PaddingAfterTheBodyIsIgnored) {
  auto padded = hex(kReplyHex + std::string(36, '0'));
  ASSERT_EQ(padded.size(), 46u);
  auto m = parse(padded);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->target_ip, ip("192.0.2.3"));
}

// One field changed from the valid reply, no message.
TEST(Arp, OtherHardwareOrProtocolIsRefused) {
  struct Case {
    std::size_t offset;
    std::string bytes;
    const char* what;
  } cases[] = {
      {0, "0006", "IEEE 802 hardware"},
      {2, "86dd", "IPv6 as the protocol"},
      {4, "08", "hardware length 8"},
      {5, "10", "protocol length 16"},
  };
  for (const auto& c : cases) {
    auto body = hex(kReplyHex);
    auto patch = hex(c.bytes);
    std::copy(patch.begin(), patch.end(), body.begin() + static_cast<std::ptrdiff_t>(c.offset));
    EXPECT_FALSE(parse(body)) << c.what;
  }
}

// The engine decides what an operation means; parse passes it through.
TEST(Arp, AnyOperationIsPassedOn) {
  auto body = hex(kReplyHex);
  body[7] = std::byte{9};
  auto m = parse(body);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->op, 9);
}

TEST(Arp, EveryTruncatedPrefixIsRefused) {
  const auto body = hex(kReplyHex);
  for (std::size_t n = 0; n < body.size(); ++n) {
    EXPECT_FALSE(parse(std::span<const std::byte>(body).first(n))) << n << " bytes";
  }
}

}  // namespace
}  // namespace pairgate::arp
