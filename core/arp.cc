#include "core/arp.h"

#include "core/byte_io.h"

namespace pairgate::arp {

namespace {
constexpr std::uint16_t kEthernet = 1;
constexpr std::uint16_t kIpv4 = 0x0800;

MacAddress read_mac(ByteReader& r) {
  std::array<std::uint8_t, 6> b{};
  for (auto& x : b) x = r.u8().value_or(0);
  return MacAddress(b);
}
}  // namespace

std::vector<std::byte> build(const Message& m) {
  ByteWriter w;
  w.u16(kEthernet);
  w.u16(kIpv4);
  w.u8(6);
  w.u8(4);
  w.u16(m.op);
  for (auto b : m.sender_mac.bytes()) w.u8(b);
  w.u32(m.sender_ip.to_uint());
  for (auto b : m.target_mac.bytes()) w.u8(b);
  w.u32(m.target_ip.to_uint());
  return w.take();
}

std::optional<Message> parse(std::span<const std::byte> body) {
  ByteReader r(body);
  if (r.u16() != kEthernet || r.u16() != kIpv4 || r.u8() != 6 || r.u8() != 4) return std::nullopt;
  Message m;
  m.op = r.u16().value_or(0);
  m.sender_mac = read_mac(r);
  m.sender_ip = Ipv4Address(r.u32().value_or(0));
  m.target_mac = read_mac(r);
  auto tpa = r.u32();
  if (!tpa || r.failed()) return std::nullopt;
  m.target_ip = Ipv4Address(*tpa);
  return m;
}

}  // namespace pairgate::arp
