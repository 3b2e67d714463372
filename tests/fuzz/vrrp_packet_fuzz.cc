// libFuzzer target for vrrp/packet: any bytes as an IPv4 datagram and as a
// bare VRRP payload; a parsed advert must rebuild and parse to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vrrp/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  (void)pairgate::vrrp::parse_datagram(bytes);
  if (auto a = pairgate::vrrp::parse_advert(bytes)) {
    auto again = pairgate::vrrp::parse_advert(pairgate::vrrp::build_advert(*a, {}));
    if (!again || !(*again == *a)) std::abort();
  }
  return 0;
}
