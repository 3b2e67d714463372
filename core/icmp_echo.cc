#include "core/icmp_echo.h"

#include "core/byte_io.h"

namespace pairgate {

namespace {
constexpr std::uint8_t kEchoReply4 = 0;
constexpr std::uint8_t kEchoRequest4 = 8;
constexpr std::uint8_t kEchoRequest6 = 128;  // RFC 4443 §4.1
constexpr std::uint8_t kEchoReply6 = 129;    // RFC 4443 §4.2
constexpr std::uint8_t kIcmp = 1;
constexpr std::string_view kPayload = "pairgate";

// The ICMP message itself: type, code, checksum, id, sequence.
std::expected<EchoReply, EchoError> parse_icmp(std::span<const std::byte> icmp, std::uint8_t reply_type) {
  ByteReader m(icmp);
  auto type = m.u8();
  auto code = m.u8();
  m.skip(2);
  auto id = m.u16();
  auto sequence = m.u16();
  if (m.failed()) return std::unexpected(EchoError::truncated);
  if (*type != reply_type || *code != 0) return std::unexpected(EchoError::not_echo_reply);
  return EchoReply{Ipv4Address{}, *id, *sequence};
}
}  // namespace

std::string_view to_string(EchoError e) {
  constexpr std::string_view names[] = {"truncated", "bad_version",  "bad_header_length", "bad_length",
                                        "not_icmp",  "bad_checksum", "not_echo_reply"};
  static_assert(std::size(names) == kEchoErrorCount);
  return names[static_cast<std::size_t>(e)];
}

std::vector<std::byte> echo_request(Family family, std::uint16_t id, std::uint16_t sequence) {
  ByteWriter w;
  w.u8(family == Family::ipv4 ? kEchoRequest4 : kEchoRequest6);
  w.u8(0);
  w.u16(0);  // checksum, below (IPv4 only)
  w.u16(id);
  w.u16(sequence);
  for (char c : kPayload) w.u8(static_cast<std::uint8_t>(c));
  if (family == Family::ipv4) w.put_u16_at(2, internet_checksum(w.data()));
  return w.take();
}

std::expected<EchoReply, EchoError> parse_echo_reply(Family family, std::span<const std::byte> packet) {
  // ICMPv6: the kernel verified the checksum over the pseudo-header before
  // queueing the message (RFC 3542 §3.1), and there is no IP header.
  if (family == Family::ipv6) return parse_icmp(packet, kEchoReply6);
  ByteReader r(packet);
  auto vihl = r.u8();
  r.skip(1);
  auto total = r.u16();
  r.skip(5);
  auto protocol = r.u8();
  r.skip(2);
  auto source = r.u32();
  r.skip(4);
  if (r.failed()) return std::unexpected(EchoError::truncated);
  if ((*vihl >> 4) != 4) return std::unexpected(EchoError::bad_version);
  const std::size_t header = (*vihl & 15u) * 4u;
  if (header < 20 || header > packet.size()) return std::unexpected(EchoError::bad_header_length);
  if (*total < header || *total > packet.size()) return std::unexpected(EchoError::bad_length);
  if (*protocol != kIcmp) return std::unexpected(EchoError::not_icmp);
  const auto icmp = packet.subspan(header, *total - header);
  if (icmp.size() < 8) return std::unexpected(EchoError::truncated);
  // RFC 792: the one's complement sum of the whole ICMP message is zero.
  if (internet_checksum(icmp) != 0) return std::unexpected(EchoError::bad_checksum);
  auto reply = parse_icmp(icmp, kEchoReply4);
  if (reply) reply->source = Ipv4Address(*source);
  return reply;
}

}  // namespace pairgate
