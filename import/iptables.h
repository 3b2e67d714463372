// iptables-save / ip6tables-save output (iptables-persistent's
// /etc/iptables/rules.v4 and rules.v6) to the firewall section.
//
// The chains that guard the WAN, jumped to from INPUT or FORWARD for one
// interface (-A INPUT -i enp0s25 -j WAN_LOCAL), become firewall.input and
// firewall.forward: their ACCEPT rules (and RETURN into a chain whose policy
// is ACCEPT) are carried over; the established/related and invalid rules,
// the LOG and the final DROP are what pairgate's table does by itself.
// Rules and chains of other programs (Docker, LXD, libvirt, fail2ban, ...)
// are left to them and named in one warning per program; anything else that
// cannot be carried over is a warning.
#pragma once

#include <string>
#include <string_view>

#include "core/address.h"
#include "import/partial.h"

namespace pairgate::import {

// `family`: ipv4 for rules.v4, ipv6 for rules.v6; every rule carried over
// is restricted to it (assemble.h merges a rule found in both files).
Partial import_iptables(std::string_view text, const std::string& file, Family family);

}  // namespace pairgate::import
