#include "core/nd.h"

#include "core/byte_io.h"

namespace pairgate {

std::vector<std::byte> unsolicited_na(const MacAddress& mac, const Ipv6Address& address) {
  ByteWriter w;
  w.u8(136);  // Neighbor Advertisement
  w.u8(0);
  w.u16(0);
  w.u32(0xa0000000);  // R | O
  for (auto b : address.bytes()) w.u8(b);
  w.u8(2);  // Target Link-Layer Address
  w.u8(1);  // 8 bytes
  for (auto b : mac.bytes()) w.u8(b);
  return w.take();
}

}  // namespace pairgate
