// Putting the importers' parts together into one pairgate configuration:
// which interface serves each DHCP subnet (netplan's or the live addresses,
// the VRRP instance whose virtual address is on the subnet, dhcpd's
// INTERFACESv4), the firewall rules of rules.v4 and rules.v6 (a rule found
// in both becomes one), and the comments and warnings of every part.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "conf/print.h"
#include "import/partial.h"

namespace pairgate::import {

struct Parts {
  std::string node;
  std::optional<Partial> keepalived;
  std::optional<Partial> dhcpd_defaults;
  std::optional<Partial> dhcpd;
  std::string dhcpd_file;        // as shown in warnings
  std::optional<Partial> ipoe;
  std::optional<Partial> rules_v4;
  std::optional<Partial> rules_v6;
  std::vector<Partial> sysctl;   // in the order systemd-sysctl reads them; later keys win
  std::vector<Partial> netplan;
  // The running host's addresses by interface, when importing this host.
  std::map<std::string, std::vector<IpPrefix>> live_addresses;
  // Lines for the top of the printed file (what was read).
  std::string header;
};

struct Assembled {
  conf::Config config;
  conf::PrintOptions print;  // the short form, with the comments
  std::vector<Warning> warnings;
  bool usable = false;       // some section was carried over
};

// The interface a placeholder names when no interface could be found for a
// DHCP subnet (with a warning): "SET-ME".
inline constexpr std::string_view kUnknownInterface = "SET-ME";

Assembled assemble(Parts parts);

}  // namespace pairgate::import
