// Writing a Config back out as pairgate.yaml.
//
// `pairgated --print-config` prints every key with its default filled in, so
// that two files can be compared by meaning (diff of the two outputs); and
// `pairgatectl import` prints only what differs from the defaults, with
// comments where it made a choice. Whatever print() writes loads again with
// conf::parse() to an equal Config (tests/conf/print_test.cc).
#pragma once

#include <map>
#include <string>

#include "conf/config.h"

namespace pairgate::conf {

struct PrintOptions {
  // true: every key, defaults filled in (--print-config). false: the required
  // keys and those whose value is not the default; a section equal to its
  // defaults is left out.
  bool defaults = true;
  // Comment lines (without '#') printed first.
  std::string header;
  // Comments placed after a key, by path: the section and key names joined
  // by '.', a list entry by its name in brackets:
  //   "notify.email", "vrrp.instances[VRRP1].priority", "vrrp.sync_groups",
  //   "dhcp.subnets[192.168.2.0/24].interface", "tunnels[ip6tnl1].aftr",
  //   "firewall.input[0]".
  // A path naming a list entry puts the comment on the entry's first line.
  // A path naming a key that is not printed (a default, in the short form)
  // forces that key to be printed.
  std::map<std::string, std::string> comments;
};

// Never throws but std::bad_alloc. Keys come in the order of
// docs/configuration.md. Durations in their shortest exact form ("600s" is
// "10m"), addresses as iproute2 writes them.
//
// renew_time and rebind_time are printed only when set: their default is a
// share of each lease granted, not a fixed value.
std::string print(const Config& c, const PrintOptions& options = {});

}  // namespace pairgate::conf
