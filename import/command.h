// `pairgatectl import`: reads the host's files, runs the importers, prints
// pairgate.yaml on stdout and the warnings on stderr.
#pragma once

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace pairgate::import {

struct Options {
  std::string root = "/";
  std::string node;  // empty: ROOT/etc/hostname, else this host's name when ROOT is /
  // Each source from an explicit file (a path on this host) instead of its
  // usual path under root.
  std::optional<std::string> keepalived, dhcpd, dhcpd_defaults, ipoe, rules_v4, rules_v6;
  std::vector<std::string> sysctl, netplan;
  // Also look at this host's live addresses (only when root is /).
  bool live = true;
};

// Exit status: 0 with a configuration on `out` (warnings or not); 1 when
// nothing usable was found, or the result does not pass --check on this
// host (the errors on `err`).
int run(const Options& o, std::ostream& out, std::ostream& err);

}  // namespace pairgate::import
