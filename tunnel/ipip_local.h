// type ipip with interface_id: the tunnel's local end is the WAN's /64
// prefix + the provider-assigned interface ID.
#pragma once

#include <optional>
#include <vector>

#include "core/netlink.h"

namespace pairgate::tunnel {

// `prefix`'s upper 64 bits with `iid`'s lower 64.
Ipv6Address with_interface_id(const Ipv6Address& prefix, const Ipv6Address& iid);

// The local address for interface ID `iid` on interface `ifindex`: the /64
// of its stable global address (tunnel/local_address.h's choice), leaving
// out addresses that end in `iid` (the one pairgate put there itself, which
// must not hold an old prefix after renumbering). `current` is kept while
// its /64 still has such an address.
std::optional<Ipv6Address> iid_local(const std::vector<AddressInfo>& addresses, int ifindex, const Ipv6Address& iid,
                                     std::optional<Ipv6Address> current = std::nullopt);

}  // namespace pairgate::tunnel
