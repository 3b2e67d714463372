// Which IPv6 address of the WAN interface is the tunnel's local end.
#pragma once

#include <optional>
#include <vector>

#include "core/netlink.h"

namespace pairgate::tunnel {

// Whether `a` may carry the tunnel: IPv6, global scope, and not temporary
// (RFC 8981), tentative, optimistic, deprecated or DAD-failed.
bool usable_local(const AddressInfo& a);

// The stable global address of interface `ifindex` among `addresses`: the
// SLAAC template (IFA_F_MANAGETEMPADDR, the seed's "mngtmpaddr") first, then
// a permanent (configured) one, then any other usable one; unique local
// addresses (fc00::/7) only when nothing else is there. `current` is kept
// while it is usable and of the best rank present, so the tunnel does not
// move between equals; otherwise the lowest address of the best rank wins.
std::optional<Ipv6Address> choose_local(const std::vector<AddressInfo>& addresses, int ifindex,
                                        std::optional<Ipv6Address> current = std::nullopt);

}  // namespace pairgate::tunnel
