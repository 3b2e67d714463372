// RFC 5798 §6.4.3 Accept_Mode as an nftables table: a master "MUST NOT
// accept packets addressed to the IPvX address(es) associated with the
// virtual router if it is not the IPvX address owner" unless Accept_Mode is
// True. Linux accepts whatever is addressed to an address of the host, so
// instances with accept_mode false get their virtual addresses dropped on
// input in a table of their own (keepalived does the same with its
// iptables/nftables rules when "no_accept" is set). ARP, and neighbour
// solicitations and adverts, still pass: §6.4.3 wants them answered.
// Pure text, no I/O: vrrp/service hands it to libnftables.
#pragma once

#include <string>
#include <vector>

#include "core/address.h"

namespace pairgate::vrrp {

inline constexpr const char* kAcceptTable = "pairgate_vrrp";

struct NoAccept {
  std::string instance;
  std::vector<IpAddress> addresses;  // the virtual addresses (derived link-local included)
};

// The script that replaces table inet pairgate_vrrp with one dropping
// input to each entry's addresses; empty when `entries` is.
std::string render_accept_script(const std::vector<NoAccept>& entries);
// The script that removes the table (whether it exists or not).
std::string render_accept_delete();

}  // namespace pairgate::vrrp
