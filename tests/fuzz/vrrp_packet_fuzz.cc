// libFuzzer target for vrrp/packet: any bytes as an IPv4 datagram (v2 or
// v3), as the VRRP part of an IPv6 packet (v3, to ff02::12 and to a unicast
// address) and as a bare v2 payload; whatever parses must rebuild and parse
// to the same advert.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vrrp/packet.h"

namespace {

using namespace pairgate;
using namespace pairgate::vrrp;

void round_trip(const Received& r) {
  const Endpoints ends{r.source, r.destination};
  auto again = parse_packet(build_advert(r.advert, ends), ends, r.hop_limit);
  if (!again || !(again->advert == r.advert) || again->checksum_as_v2) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  if (auto r = parse_datagram(bytes)) round_trip(*r);
  static const IpAddress source = *IpAddress::parse("fe80::ff:fe00:a");
  for (const auto& to : {IpAddress(kMulticastGroup6), *IpAddress::parse("2001:db8::4")}) {
    if (auto r = parse_packet(bytes, {source, to}, 255)) round_trip(*r);
  }
  if (auto a = parse_advert(bytes)) {
    auto again = parse_advert(build_advert(*a, {}));
    if (!again || !(*again == *a)) std::abort();
  }
  return 0;
}
