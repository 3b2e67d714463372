// What --check says of a `type: mape` tunnel, and the errors it finds: the
// rules are run through tunnel/map_rule's map() (RFC 7597), with the
// configured delegated prefix, or for `prefix: auto` with each rule's own
// IPv6 prefix as a stand-in /64, so that a rule that can never give a
// mapping is refused before the daemon starts.
#pragma once

#include <string>

#include "conf/config.h"
#include "conf/yaml_reader.h"

namespace pairgate::conf {

// Errors: a rule map() refuses, a static prefix no rule covers, no enabled
// firewall (MAP-E needs its NAT44: RFC 7597 §8), an unknown vrrp_instance.
void check_mape(Reader& r, const Config& c, const Tunnel& t);

// "tunnel mape0: rule 0, CE 198.51.100.18, PSID 0x34 (k=8), 15 port sets of
// 16 ports, CE IPv6 2001:db8:..." for a static prefix; for `auto`, that the
// mapping is computed at run time from the WAN's address. Precondition: t.mape.
std::string describe_mape(const Tunnel& t);

}  // namespace pairgate::conf
