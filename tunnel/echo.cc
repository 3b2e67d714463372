#include "tunnel/echo.h"

#include <string_view>

#include "core/byte_io.h"

namespace pairgate::tunnel {

std::vector<std::byte> build_echo_request(Family family, std::uint16_t identifier, std::uint16_t sequence) {
  ByteWriter w;
  w.u8(family == Family::ipv4 ? 8 : 128);  // echo request
  w.u8(0);
  w.u16(0);  // checksum
  w.u16(identifier);
  w.u16(sequence);
  for (char c : std::string_view("pairgate")) w.u8(static_cast<std::uint8_t>(c));
  if (family == Family::ipv4) w.put_u16_at(2, internet_checksum(w.data()));
  return w.take();
}

std::optional<EchoReply> parse_echo_reply(Family family, std::span<const std::byte> packet) {
  std::span<const std::byte> icmp = packet;
  if (family == Family::ipv4) {
    ByteReader ip(packet);
    auto vihl = ip.u8();
    if (!vihl || (*vihl >> 4) != 4) return std::nullopt;
    const std::size_t ihl = std::size_t{*vihl & 0x0fu} * 4;
    ip.skip(1);
    auto total = ip.u16();
    ip.skip(5);
    auto proto = ip.u8();
    if (ip.failed() || ihl < 20 || *proto != 1 || *total < ihl || *total > packet.size()) return std::nullopt;
    icmp = packet.subspan(ihl, *total - ihl);
    if (internet_checksum(icmp) != 0) return std::nullopt;
  }
  ByteReader r(icmp);
  auto type = r.u8();
  auto code = r.u8();
  r.skip(2);
  auto id = r.u16();
  auto seq = r.u16();
  if (r.failed() || *code != 0 || *type != (family == Family::ipv4 ? 0 : 129)) return std::nullopt;
  return EchoReply{*id, *seq};
}

}  // namespace pairgate::tunnel
