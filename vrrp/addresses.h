// The addresses an instance advertises, as RFC 5798 wants them.
#pragma once

#include <vector>

#include "core/address.h"
#include "vrrp/packet.h"

namespace pairgate::vrrp {

// RFC 5798 §7.3: the virtual router MAC of an IPv6 virtual router,
// 00-00-5E-00-02-{VRID}.
MacAddress virtual_mac6(VrId vrid);

// The link-local address derived from the IPv6 virtual router MAC by
// modified EUI-64 (RFC 4291 §2.5.1, Appendix A), /64: fe80::200:5eff:fe00:2XX
// for VRID 0xXX. keepalived derives the link-local address of its VMAC
// interfaces the same way (make_link_local_address()), so both routers of
// a pair, and a keepalived peer given the same address, agree on it.
IpPrefix derived_link_local(VrId vrid);

// RFC 5798 §5.2.9: "For IPv6, the first address MUST be the IPv6 link-local
// address associated with the Virtual Router." `configured` as it is when
// it is IPv4 or starts with a link-local address; otherwise the derived
// link-local address first, then `configured`.
std::vector<IpPrefix> advertised_addresses(VrId vrid, const std::vector<IpPrefix>& configured);

}  // namespace pairgate::vrrp
