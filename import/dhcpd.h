// isc-dhcp-server's dhcpd.conf to the dhcp section.
//
// Carried over: subnet ... netmask ... (range, option routers and the other
// options pairgate has keys for, default-lease-time, max-lease-time,
// ping-check), pool, shared-network and group (flattened), host
// (hardware ethernet or dhcp-client-identifier, fixed-address, host-name)
// and the global options and lease times they inherit. Subnets come without
// their interface: assemble.h finds it. A reservation inside a range splits
// the range around it (pairgate keeps reservations out of its pools).
#pragma once

#include <string>
#include <string_view>

#include "import/partial.h"

namespace pairgate::import {

Partial import_dhcpd(std::string_view text, const std::string& file);

}  // namespace pairgate::import
