// A tunnel whose local (B4) address is one the VRRP master carries: the
// two routers share one softwire, so the AFTR keeps its NAT mappings
// (RFC 6333 §6.6 keys them on the B4 address) across a failover.
#pragma once

#include <optional>
#include <string>

#include "conf/config.h"

namespace pairgate::conf {

struct SharedB4 {
  std::string instance;  // the VRRP instance that owns the address
  std::string list;      // "excluded_addresses" or "virtual_addresses"
  bool operator==(const SharedB4&) const = default;
};

// The instance that carries `t.local` on `t.wan_interface`: as an IPv6
// entry of excluded_addresses, or as a virtual address of a version 3
// instance. None for an automatic local or an address no instance carries.
std::optional<SharedB4> shared_b4(const Config& c, const Tunnel& t);

// A VRRP instance on another interface than the tunnel's WAN that carries
// its local address (a configuration error): its name.
std::optional<std::string> shared_b4_elsewhere(const Config& c, const Tunnel& t);

// "tunnel NAME: local ADDRESS is shared; held by VRRP instance X
// (excluded_addresses on IF) while it is MASTER" — what --check says.
std::string describe(const Tunnel& t, const SharedB4& s);

}  // namespace pairgate::conf
