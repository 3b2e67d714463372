// netplan's /etc/netplan/*.yaml: which addresses each interface has, so that
// assemble.h can tell which interface serves each DHCP subnet. Nothing here
// becomes configuration: netplan keeps the interfaces.
#pragma once

#include <string>
#include <string_view>

#include "import/partial.h"

namespace pairgate::import {

// network.{ethernets,bonds,bridges,vlans,wifis}.NAME.addresses (set-name
// renames); YAML errors are warnings with their line.
Partial import_netplan(std::string_view text, const std::string& file);

}  // namespace pairgate::import
