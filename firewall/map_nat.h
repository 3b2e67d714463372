// NAT44 for a MAP-E CE (RFC 7597 §8: "a MAP CE forwarding IPv4 packets
// from the LAN performs NAT44 functions first ... The resulting IPv4 packets
// MUST contain the source IPv4 address and source transport identifiers
// specified by the MAP provisioning parameters"), rendered as nftables text
// for the pairgate table: a pure function of the CE address and port sets.
//
// Design (docs/mape-design.md): every new flow leaving by the tunnel — TCP,
// UDP, or ICMP (echo identifier) — picks a port set round-robin
// (`numgen inc mod N`, one jump per set), and that set's chain SNATs it to
// the CE address within the set's range, so every set is used evenly and no
// flow gets a port outside them. The NAT chain's first rule drops, and
// counts, a new flow of a protocol without ports (it would leave with the
// LAN's address).
#pragma once

#include <string>
#include <vector>

#include "core/address.h"
#include "core/port_range.h"

namespace pairgate::firewall {

struct MapNat {
  std::string tunnel;                  // the MAP-E tunnel interface (oifname)
  Ipv4Address address;                 // the CE IPv4 address
  std::vector<PortRange> port_sets;    // ascending, disjoint, non-empty
};

// The names used for `nat.tunnel`'s objects: "mape_" plus the interface
// name with every character outside [A-Za-z0-9_] turned into '_'.
std::string map_nat_prefix(const std::string& tunnel);

// The counter of the new flows dropped for their protocol.
std::string map_nat_counter(const std::string& tunnel);

// The objects to put inside `table inet NAME { ... }`, indented with one tab
// as firewall/render.cc writes the table: a named counter, the NAT chain
// (hook postrouting, priority srcnat) and one chain per port set; no chain
// a flow's later packets pass. Preconditions: port_sets is not
// empty and holds at most 65535 sets (bounded: 2^15 - 1 with a <= 15).
std::string render_map_nat(const MapNat& nat);

// A whole table holding only render_map_nat's objects, for `nft -c -f` and
// tests; the pairgate table splices the objects into its own.
std::string render_map_nat_table(const MapNat& nat, const std::string& table);

}  // namespace pairgate::firewall
