// What one imported file gives: part of a pairgate configuration, facts the
// other importers need, and a warning for each directive not carried over.
//
// Each importer (keepalived.h, dhcpd.h, ...) is a pure function from text to
// a Partial: it reads no file and no host state, so tests and fuzz targets
// feed it strings. assemble.h puts the parts together.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "conf/config.h"
#include "core/address.h"

namespace pairgate::import {

// Every importer reads at most this much of one file; a longer one is one
// warning and is not read.
inline constexpr std::size_t kMaxFileBytes = 1024 * 1024;
// Statements, rules or keys taken from one file; the rest are one warning.
// A 1 MiB file holds at most some 500,000; a dhcpd.conf of 4,096 hosts
// (the most reservations a subnet takes) has about 16,000.
inline constexpr std::size_t kMaxItems = 100'000;
// Nesting of blocks ({ ... }) in keepalived.conf and dhcpd.conf.
inline constexpr int kMaxDepth = 32;

struct Warning {
  std::string file;
  int line = 0;  // 1-based; 0 when the warning is about the whole file
  std::string message;
  bool operator==(const Warning&) const = default;
};

// "FILE:LINE: warning: MESSAGE", or "FILE: warning: MESSAGE" without a line.
std::string format(const Warning& w);

struct Partial {
  // Only the sections the source knows about are filled in.
  conf::Config config;
  // Comments for the printed file, by conf::PrintOptions path.
  std::map<std::string, std::string> comments;
  std::vector<Warning> warnings;
  // Whether the file held anything that was carried over.
  bool usable = false;

  // Facts for the assembly.
  // Interface name -> its configured addresses (netplan).
  std::map<std::string, std::vector<IpPrefix>> interface_addresses;
  // /etc/default/isc-dhcp-server: INTERFACESv4, and DHCPDv4_CONF when set.
  std::vector<std::string> dhcp_interfaces;
  std::string dhcpd_conf;
  // iptables: the interfaces whose traffic the WAN chains guard, where each
  // firewall rule came from (one note per config.firewall rule), and whether
  // a TCPMSS rule clamped the MSS.
  std::vector<std::string> wan_interfaces;
  std::vector<std::string> input_notes;
  std::vector<std::string> forward_notes;
  bool mss_clamp_seen = false;

  void warn(const std::string& file, int line, std::string message) {
    warnings.push_back({file, line, std::move(message)});
  }
};

}  // namespace pairgate::import
