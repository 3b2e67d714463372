#include "vrrp/addresses.h"

namespace pairgate::vrrp {

MacAddress virtual_mac6(VrId vrid) { return MacAddress({0x00, 0x00, 0x5e, 0x00, 0x02, vrid.value}); }

IpPrefix derived_link_local(VrId vrid) {
  const auto mac = virtual_mac6(vrid).bytes();
  // fe80::/64, then the MAC with the universal/local bit flipped and
  // ff:fe in its middle.
  std::array<std::uint8_t, 16> b{0xfe, 0x80, 0, 0, 0, 0, 0, 0,
                                 static_cast<std::uint8_t>(mac[0] ^ 0x02), mac[1], mac[2], 0xff, 0xfe,
                                 mac[3], mac[4], mac[5]};
  return IpPrefix(Ipv6Address(b), 64);
}

std::vector<IpPrefix> advertised_addresses(VrId vrid, const std::vector<IpPrefix>& configured) {
  if (configured.empty() || configured.front().address().is_v4() || configured.front().address().v6().is_link_local()) {
    return configured;
  }
  std::vector<IpPrefix> out{derived_link_local(vrid)};
  out.insert(out.end(), configured.begin(), configured.end());
  return out;
}

}  // namespace pairgate::vrrp
