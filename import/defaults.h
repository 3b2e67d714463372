// Shell-style files of /etc/default: /etc/default/isc-dhcp-server (which
// interfaces dhcpd serves, which file it reads) and the seed's
// /etc/default/ipoe (TUNNEL_NAME, WAN_INTERFACE, GATEWAY_ADDR) to a tunnel.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "import/partial.h"

namespace pairgate::import {

struct Assignment {
  std::string value;
  int line = 0;
};

// KEY=value, KEY="value", KEY='value', `export KEY=...`; comments and blank
// lines skipped; anything else is a warning. Later assignments win.
std::map<std::string, Assignment> read_assignments(std::string_view text, const std::string& file, Partial& out);

// INTERFACESv4 (or the older INTERFACES) into dhcp_interfaces, DHCPDv4_CONF
// into dhcpd_conf; INTERFACESv6 and OPTIONS are warnings.
Partial import_dhcpd_defaults(std::string_view text, const std::string& file);

// One dslite tunnel: name TUNNEL_NAME, wan_interface WAN_INTERFACE, aftr
// GATEWAY_ADDR (with `aftr: gw.transix.jp` suggested for transix's
// addresses), local auto (ipoe.sh's mngtmpaddr), the default route.
Partial import_ipoe(std::string_view text, const std::string& file);

}  // namespace pairgate::import
