// The MAP-E side of a `type: mape` tunnel (RFC 7597): which delegated prefix
// the mapping comes from, the mapping itself (tunnel/map_rule.h), the CE
// IPv6 address on the WAN interface, and the mapping as the event bus
// carries it to the firewall (kind "tunnel_map") and as status shows it.
//
// tunnel/tunnel.cc drives it: the link's local end is the CE IPv6 address,
// its remote end the BR, its IPv4 address the CE's; everything else
// (health, route, held/released) is the DS-Lite code.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"
#include "core/netlink.h"
#include "tunnel/map_rule.h"

namespace pairgate::tunnel {

// The delegated prefix: the configured one, else the /64 of the WAN's
// stable address (RFC 7597 §5: "the End-user IPv6 prefix ... e.g. the /64
// of a SLAAC address" when no prefix is delegated); none without either.
std::optional<IpPrefix> delegated_prefix(const conf::Mape& m, const std::optional<Ipv6Address>& wan_address);

// The data of a "tunnel_map" event: {"tunnel", "type": "mape", "active",
// "ipv4", "psid", "psid_length", "port_sets": [[first, last], ...],
// "ce_ipv6", "br", "rule_index"}. firewall/service.cc reads it back.
nlohmann::json map_event_data(const std::string& tunnel, const MapResult& r, bool active);

// Status's "map" object: rule_index, ipv4, psid, psid_length, port_sets,
// port_count, ce_ipv6, br, interface_id, delegated_prefix.
nlohmann::json map_status(const MapResult& r, const IpPrefix& delegated);

class MapeState {
 public:
  explicit MapeState(conf::Mape config) : config_(std::move(config)) {}

  void reconfigure(conf::Mape config) { config_ = std::move(config); }
  const conf::Mape& config() const { return config_; }

  // Recomputes from the WAN's chosen address (ignored with a configured
  // prefix). True when the mapping changed (or appeared); an error leaves
  // no mapping and is kept in error().
  bool compute(const std::optional<Ipv6Address>& wan_address);
  const std::optional<MapResult>& result() const { return result_; }
  const std::optional<IpPrefix>& delegated() const { return delegated_; }
  const std::string& error() const { return error_; }
  // Whether the WAN's address matters (prefix: auto).
  bool follows_wan() const { return !config_.prefix; }

  // The CE IPv6 address as a /128 on the WAN (no DAD: RFC 7597 §6 makes it
  // unique by construction; a pair's backup never holds it). Moves it when
  // the mapping moved. False after a netlink error (logged by the caller).
  std::error_code place(Netlink& nl, int wan_index);
  // Takes it off the WAN (stop, release, a mapping gone).
  std::error_code unplace(Netlink& nl);
  const std::optional<Ipv6Address>& placed() const { return placed_; }
  // Someone removed it: it is put back at the next place().
  void forget_placed() { placed_.reset(); }
  // `addresses` without the CE address(es) of ours, so that choose_local
  // never picks the CE /128 as the WAN's own address.
  std::vector<AddressInfo> without_ours(std::vector<AddressInfo> addresses) const;

 private:
  conf::Mape config_;
  std::optional<MapResult> result_;
  std::optional<IpPrefix> delegated_;
  std::string error_;
  std::optional<Ipv6Address> placed_;
  int placed_on_ = 0;
};

}  // namespace pairgate::tunnel
