#include "tunnel/ipip_local.h"

#include <algorithm>

#include "tunnel/local_address.h"

namespace pairgate::tunnel {

namespace {

bool same_high(const Ipv6Address& a, const Ipv6Address& b) {
  return std::equal(a.bytes().begin(), a.bytes().begin() + 8, b.bytes().begin());
}

bool same_low(const Ipv6Address& a, const Ipv6Address& b) {
  return std::equal(a.bytes().begin() + 8, a.bytes().end(), b.bytes().begin() + 8);
}

}  // namespace

Ipv6Address with_interface_id(const Ipv6Address& prefix, const Ipv6Address& iid) {
  auto b = prefix.bytes();
  std::copy(iid.bytes().begin() + 8, iid.bytes().end(), b.begin() + 8);
  return Ipv6Address(b);
}

std::optional<Ipv6Address> iid_local(const std::vector<AddressInfo>& addresses, int ifindex, const Ipv6Address& iid,
                                     std::optional<Ipv6Address> current) {
  std::vector<AddressInfo> bases;
  for (const auto& a : addresses) {
    if (a.ifindex == ifindex && usable_local(a) && !same_low(a.prefix.address().v6(), iid)) bases.push_back(a);
  }
  if (current) {
    for (const auto& a : bases) {
      if (same_high(a.prefix.address().v6(), *current)) return current;
    }
  }
  auto base = choose_local(bases, ifindex);
  if (!base) return std::nullopt;
  return with_interface_id(*base, iid);
}

}  // namespace pairgate::tunnel
