#include "dhcp/icmp_echo.h"

#include "core/byte_io.h"

namespace pairgate::dhcp {

namespace {
constexpr std::uint8_t kEchoReply = 0;
constexpr std::uint8_t kEchoRequest = 8;
constexpr std::uint8_t kIcmp = 1;
constexpr std::uint32_t kPayload = 0x70616972;  // "pair"
}  // namespace

std::string_view to_string(EchoError e) {
  constexpr std::string_view names[] = {"truncated",   "bad_version",  "bad_header_length", "bad_length",
                                        "not_icmp",    "bad_checksum", "not_echo_reply"};
  return names[static_cast<std::size_t>(e)];
}

std::vector<std::byte> echo_request(std::uint16_t id, std::uint16_t sequence) {
  ByteWriter w;
  w.u8(kEchoRequest);
  w.u8(0);
  w.u16(0);  // checksum, below
  w.u16(id);
  w.u16(sequence);
  w.u32(kPayload);
  w.put_u16_at(2, internet_checksum(w.data()));
  return w.take();
}

std::expected<EchoReply, EchoError> parse_echo_reply(std::span<const std::byte> packet) {
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
  ByteReader m(icmp);
  auto type = m.u8();
  auto code = m.u8();
  m.skip(2);
  auto id = m.u16();
  auto sequence = m.u16();
  if (*type != kEchoReply || *code != 0) return std::unexpected(EchoError::not_echo_reply);
  return EchoReply{Ipv4Address(*source), *id, *sequence};
}

}  // namespace pairgate::dhcp
