// The firewall section as one nftables table: a pure function of the
// configuration, so the ruleset can be printed, diffed and golden-tested.
#pragma once

#include <string>

#include "conf/config.h"
#include "firewall/map_nat.h"

namespace pairgate::firewall {

// The table only, as `nft list table` would show it (tabs, one rule a line).
// Traffic arriving on a WAN interface — firewall.wan_interfaces and every
// tunnel, whose far end is the Internet too — is filtered; all else passes
// this table untouched (other tables still see it). Precondition:
// config.firewall is set (enabled or not). `maps`: the MAP-E NAT of each
// mape tunnel whose mapping is known (firewall/map_nat.h), spliced in.
std::string render_table(const conf::Config& config, const std::vector<MapNat>& maps = {});

// The script that replaces the table whole in one transaction: declare it
// (so that the delete cannot fail), delete it, define it anew. `old_table` is
// the name of the table applied before, deleted too when the name changed.
std::string render_apply_script(const conf::Config& config, const std::string& old_table = "",
                                const std::vector<MapNat>& maps = {});

// The script that removes the table; harmless when it does not exist.
std::string render_delete_script(const std::string& table);

}  // namespace pairgate::firewall
