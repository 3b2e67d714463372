// Neighbour Discovery messages a router sends on its own (RFC 4861): the
// unsolicited neighbour advertisement that tells the link an address moved
// here. Used by VRRP (IPv6 addresses of a new master) and by a tunnel that
// takes a shared address (a mape CE address on the master).
#pragma once

#include <cstddef>
#include <vector>

#include "core/address.h"

namespace pairgate {

// RFC 4861 §4.4 unsolicited neighbour advertisement for `address` at `mac`:
// Router and Override set, Solicited clear, with the target link-layer
// address option. The kernel fills the ICMPv6 checksum; send it to ff02::1
// with hop limit 255 (§7.1.2).
std::vector<std::byte> unsolicited_na(const MacAddress& mac, const Ipv6Address& address);

}  // namespace pairgate
