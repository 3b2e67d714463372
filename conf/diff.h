// What changed between the running configuration and a reloaded one.
#pragma once

#include <string>
#include <vector>

#include "conf/config.h"

namespace pairgate::conf {

struct NamedChanges {
  std::vector<std::string> added;
  std::vector<std::string> removed;
  std::vector<std::string> changed;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
  bool operator==(const NamedChanges&) const = default;
};

struct ConfigDiff {
  bool node = false;
  bool control = false;  // the socket moves only on restart
  bool logging = false;
  bool notify = false;
  bool sysctl = false;
  NamedChanges vrrp_instances;  // by instance name
  bool sync_groups = false;
  bool lease_file = false;
  NamedChanges dhcp_subnets;    // by subnet, "192.0.2.0/24"
  NamedChanges tunnels;         // by tunnel name
  bool firewall = false;
  bool peer = false;
  bool http = false;

  bool empty() const;
  // One line for the log: "vrrp changed [VRRP1]; dhcp added [198.51.100.0/24]; firewall".
  std::string summary() const;
};

ConfigDiff diff(const Config& before, const Config& after);

}  // namespace pairgate::conf
