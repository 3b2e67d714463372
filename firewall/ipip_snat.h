// type: ipip's SNAT (conf::Ipip::snat): forwarded IPv4 leaving by the tunnel
// takes the fixed address as its source, unless it already comes from the
// block routed to this router (a public LAN needs no translation).
#pragma once

#include <string>

#include "conf/config.h"

namespace pairgate::firewall {

// A postrouting nat chain for the pairgate table, one rule per ipip tunnel
// with snat on or auto; empty when there is none.
std::string render_ipip_snat(const conf::Config& c);

}  // namespace pairgate::firewall
