// dhcp/packet against DHCPDISCOVERs captured from ISC dhclient 4.4.3 and
// busybox udhcpc 1.35.0 (Debian 12), field changes, every truncation, and
// RFC 3396 option overload and long options.
#include "dhcp/packet.h"

#include <gtest/gtest.h>

#include "tests/support/hex.h"

#include <string>

namespace pairgate::dhcp {
namespace {

using pairgate::testing::hex;

// dhclient -1 c0 (MAC 52:54:00:12:34:56): type DISCOVER, host name "vm",
// parameter request list 1,28,2,3,15,6,119,12,44,47,26,121,42; padded to 300.
const std::string kDhclient = "0101060044959d2c000000000000000000000000000000000000000052540012345600000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000638253633501010c02766d370d011c02030f06770c2c2f1a792aff00000000000000000000000000000000000000000000000000000000000000000000000000";
// udhcpc -x hostname:printer: max size 576, PRL 1,3,6,12,15,28,42, host
// name, vendor class "udhcp 1.35.0", client id 01:52:54:00:12:34:56.
const std::string kUdhcpc = "01010600c0758e32000000000000000000000000000000000000000052540012345600000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000638253633501013902024037070103060c0f1c2a0c077072696e7465723c0c756468637020312e33352e303d0701525400123456ff0000000000000000000000";

TEST(DhcpPacket, ParsesDhclientsDiscover) {
  auto m = parse(hex(kDhclient));
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->op, 1);
  EXPECT_EQ(m->type(), MessageType::discover);
  EXPECT_EQ(m->mac(), MacAddress::parse("52:54:00:12:34:56"));
  EXPECT_EQ(m->xid, 0x44959d2cu);
  EXPECT_FALSE(m->broadcast());
  EXPECT_EQ(m->parameter_request_list(), (std::vector<std::uint8_t>{1, 28, 2, 3, 15, 6, 119, 12, 44, 47, 26, 121, 42}));
  EXPECT_EQ(m->order, (std::vector<std::uint8_t>{53, 12, 55}));
  EXPECT_FALSE(m->max_message_size().has_value());
}

TEST(DhcpPacket, ParsesUdhcpcsDiscover) {
  auto m = parse(hex(kUdhcpc));
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->type(), MessageType::discover);
  EXPECT_EQ(m->max_message_size(), 576);
  auto host = m->options.at(option::host_name);
  EXPECT_EQ(std::string(host.begin(), host.end()), "printer");
  EXPECT_EQ(m->options.at(option::client_id), (std::vector<std::uint8_t>{1, 0x52, 0x54, 0, 0x12, 0x34, 0x56}));
}

TEST(DhcpPacket, EachBadFieldHasItsOwnReason) {
  struct Case {
    const char* name;
    std::size_t offset;
    std::uint8_t value;
    ParseError expected;
  };
  const Case cases[] = {
      {"op 3", 0, 3, ParseError::bad_op},
      {"op 0", 0, 0, ParseError::bad_op},
      {"hlen 17", 2, 17, ParseError::bad_hlen},
      {"cookie", 236, 0x64, ParseError::bad_magic},
      {"cookie last byte", 239, 0x00, ParseError::bad_magic},
      {"host name length past the end", 244, 200, ParseError::option_overrun},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto bytes = hex(kDhclient);
    bytes[c.offset] = static_cast<std::byte>(c.value);
    auto m = parse(bytes);
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error(), c.expected);
  }
}

TEST(DhcpPacket, EveryTruncatedPrefixGivesACleanResult) {
  for (const auto& fixture : {kDhclient, kUdhcpc}) {
    auto bytes = hex(fixture);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      SCOPED_TRACE(n);
      auto m = parse(std::span(bytes).first(n));
      if (n < 240) {
        ASSERT_FALSE(m.has_value());
        EXPECT_EQ(m.error(), ParseError::truncated);
      } else if (!m) {
        // Cut inside an option: a clean error, never a read past the end.
        EXPECT_EQ(m.error(), ParseError::option_overrun);
      }
    }
  }
}

Message offer() {
  Message m;
  m.op = 2;
  m.xid = 0x01020304;
  m.yiaddr = *Ipv4Address::parse("198.51.100.20");
  m.chaddr = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
  m.set(option::message_type, {2});
  m.set_address(option::server_id, *Ipv4Address::parse("198.51.100.2"));
  m.set_u32(option::lease_time, 600);
  m.set_address(option::subnet_mask, *Ipv4Address::parse("255.255.255.0"));
  m.set_addresses(option::routers, {*Ipv4Address::parse("198.51.100.1")});
  return m;
}

TEST(DhcpPacket, BuildsAndParsesBack) {
  auto m = offer();
  auto enc = build(m);
  EXPECT_TRUE(enc.dropped.empty());
  EXPECT_EQ(enc.bytes.size(), 300u) << "padded to the BOOTP minimum";
  auto back = parse(enc.bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->options, m.options);
  EXPECT_EQ(back->yiaddr, m.yiaddr);
  EXPECT_EQ(back->xid, m.xid);
  // Message type, then server identifier, first in the options field.
  EXPECT_EQ(std::to_integer<int>(enc.bytes[240]), option::message_type);
  EXPECT_EQ(std::to_integer<int>(enc.bytes[243]), option::server_id);
}

// One Encoded reused across messages (the service's way) gives what a fresh
// build gives each time: a long, overflowing message, then a short one.
TEST(DhcpPacket, BuildingIntoAReusedBufferGivesTheSameBytes) {
  auto big = offer();
  for (std::uint8_t code = 224; code < 232; ++code) big.set(code, std::vector<std::uint8_t>(60, code));
  auto small = offer();
  small.sname = "boot";
  Encoded reused;
  for (const Message* m : {&big, &small, &big}) {
    build(*m, 548, reused);
    const auto fresh = build(*m, 548);
    EXPECT_EQ(reused.bytes, fresh.bytes);
    EXPECT_EQ(reused.dropped, fresh.dropped);
  }
}

TEST(DhcpPacket, LongOptionsAreSplitAndJoined) {
  auto m = offer();
  std::vector<std::uint8_t> routes(300);
  for (std::size_t i = 0; i < routes.size(); ++i) routes[i] = static_cast<std::uint8_t>(i);
  m.set(option::classless_static_routes, routes);
  auto enc = build(m, 1500 - 28);
  ASSERT_TRUE(enc.dropped.empty());
  auto back = parse(enc.bytes);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->options.at(option::classless_static_routes), routes) << "RFC 3396 §5: instances concatenated";
}

TEST(DhcpPacket, OverflowGoesToFileThenSnameAndTheRestIsNamed) {
  auto m = offer();
  // 576-byte messages leave 548 - 240 = 308 bytes for options.
  for (std::uint8_t code = 224; code < 232; ++code) m.set(code, std::vector<std::uint8_t>(60, code));
  auto enc = build(m);
  EXPECT_LE(enc.bytes.size(), 548u);
  auto back = parse(enc.bytes);
  ASSERT_TRUE(back.has_value());
  // Everything not dropped came back, whichever field carried it.
  for (std::uint8_t code = 224; code < 232; ++code) {
    const bool dropped = std::find(enc.dropped.begin(), enc.dropped.end(), code) != enc.dropped.end();
    EXPECT_EQ(back->options.contains(code), !dropped) << int(code);
  }
  EXPECT_FALSE(enc.dropped.empty()) << "eight 62-byte options do not fit 576 bytes";
  EXPECT_TRUE(back->file.empty()) << "file carried options";
  // With room, nothing is dropped and nothing overflows.
  auto big = build(m, 1500 - 28);
  EXPECT_TRUE(big.dropped.empty());
  EXPECT_EQ(parse(big.bytes)->options, m.options);
}

TEST(DhcpPacket, OverloadedFieldsAreReadInRfc3396Order) {
  auto bytes = hex(kDhclient);
  // Put option 52 = 3 in place of the host name option (12, len 2, "vm").
  bytes[243] = std::byte{52};
  bytes[244] = std::byte{1};
  bytes[245] = std::byte{3};
  bytes[246] = std::byte{0};  // pad over the old name's second byte
  // file (offset 108) carries option 15 "a"; sname (offset 44) carries 15 "b".
  const std::size_t file = 108, sname = 44;
  for (auto [at, ch] : {std::pair{file, 'a'}, std::pair{sname, 'b'}}) {
    bytes[at] = std::byte{15};
    bytes[at + 1] = std::byte{1};
    bytes[at + 2] = static_cast<std::byte>(ch);
    bytes[at + 3] = std::byte{255};
  }
  auto m = parse(bytes);
  ASSERT_TRUE(m.has_value()) << to_string(m.error());
  EXPECT_EQ(m->options.at(option::domain_name), (std::vector<std::uint8_t>{'a', 'b'}));
  EXPECT_TRUE(m->file.empty());
  EXPECT_TRUE(m->sname.empty());
  bytes[245] = std::byte{4};
  EXPECT_EQ(parse(bytes).error(), ParseError::bad_overload);
}

TEST(DhcpPacket, Names) {
  EXPECT_EQ(to_string(MessageType::ack), "DHCPACK");
  EXPECT_EQ(to_string(static_cast<MessageType>(9)), "DHCP?");
  EXPECT_EQ(to_string(ParseError::option_overrun), "option_overrun");
}

}  // namespace
}  // namespace pairgate::dhcp

namespace pairgate::dhcp {
namespace {

// The option codes of the options field alone (not file or sname).
std::vector<std::uint8_t> options_field_codes(const std::vector<std::byte>& bytes) {
  std::vector<std::uint8_t> codes;
  for (std::size_t i = 240; i < bytes.size();) {
    const auto code = std::to_integer<std::uint8_t>(bytes[i]);
    if (code == option::end) break;
    if (code == option::pad) {
      ++i;
      continue;
    }
    codes.push_back(code);
    i += 2 + (i + 1 < bytes.size() ? std::to_integer<std::size_t>(bytes[i + 1]) : 0);
  }
  return codes;
}

// RFC 3046 §2.2: relays look for their option in the options field; an
// option 82 overloaded into file or sname is lost to them. It stays in the
// options field, last, however full the message is (before the fix it was
// the first to overflow into `file`).
TEST(DhcpPacket, RelayAgentInformationStaysInTheOptionsField) {
  Message m;
  m.op = 2;
  m.set(option::message_type, {static_cast<std::uint8_t>(MessageType::nak)});
  m.set_address(option::server_id, *Ipv4Address::parse("192.0.2.2"));
  for (std::uint8_t code = 224; code < 228; ++code) m.set(code, std::vector<std::uint8_t>(60, code));
  const std::vector<std::uint8_t> agent = {1, 4, 'p', 'o', 'r', 't', 2, 3, 'r', 'i', 'd'};
  m.set(option::relay_agent_information, agent);
  auto enc = build(m);
  auto codes = options_field_codes(enc.bytes);
  ASSERT_FALSE(codes.empty());
  EXPECT_EQ(codes.back(), option::relay_agent_information);
  EXPECT_EQ(parse(enc.bytes)->options.at(option::relay_agent_information), agent);
  EXPECT_FALSE(std::count(enc.dropped.begin(), enc.dropped.end(), option::relay_agent_information));
  // Even a 255-byte option 82 with the options field otherwise full.
  m.set(option::relay_agent_information, std::vector<std::uint8_t>(255, 7));
  for (std::uint8_t code = 228; code < 232; ++code) m.set(code, std::vector<std::uint8_t>(60, code));
  enc = build(m);
  codes = options_field_codes(enc.bytes);
  EXPECT_EQ(codes.back(), option::relay_agent_information);
  EXPECT_EQ(parse(enc.bytes)->options.at(option::relay_agent_information).size(), 255u);
}

}  // namespace
}  // namespace pairgate::dhcp
