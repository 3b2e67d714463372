// MAP-E (RFC 7597) for a CE, as a pure function: from the configured mapping
// rules and the WAN's delegated prefix to the CE's IPv4 address (or prefix),
// PSID, port sets and IPv6 address. No I/O; the tunnel and the NAT are built
// from the result elsewhere (firewall/map_nat.h renders the NAT).
//
// Terms (RFC 7597 §3, §5): a rule maps a Rule IPv6 prefix (length r6) to a
// Rule IPv4 prefix (length r4) with o EA bits; p = 32 - r4 IPv4 suffix bits,
// k = o - p PSID bits (q in §5.2), a = psid_offset, m = 16 - a - k.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/port_range.h"

namespace pairgate::tunnel {

// RFC 7597 §6 interface identifier, or the one of
// draft-ietf-softwire-map-03 that JPNE v6plus equipment (and OpenWrt's
// `legacymap`) uses; see ce_ipv6 below for both layouts.
enum class InterfaceIdForm { rfc7597, draft03 };
std::string_view to_string(InterfaceIdForm f);
std::optional<InterfaceIdForm> parse_interface_id_form(std::string_view text);

// One Basic Mapping Rule (RFC 7597 §5.2). Prefixes must be networks (no host
// bits) of the right family; map() reports them otherwise.
struct MapRule {
  IpPrefix ipv6_prefix;            // Rule IPv6 prefix
  IpPrefix ipv4_prefix;            // Rule IPv4 prefix
  unsigned ea_length = 0;          // EA-bits length, 0..48 (§5.2)
  unsigned psid_offset = 6;        // a, the PSID offset (§5.1; 6 by default)
  auto operator<=>(const MapRule&) const = default;
};

// The MAP domain as configured: the BR and the rules.
struct MapDomain {
  Ipv6Address br;                  // the BR's IPv6 address, the tunnel's far end
  std::vector<MapRule> rules;
  InterfaceIdForm interface_id = InterfaceIdForm::rfc7597;
};

// Everything the tunnel and the NAT need, for the CE.
struct MapResult {
  std::size_t rule_index = 0;      // which of MapDomain::rules applied
  MapRule rule;                    // that rule, as configured
  Ipv6Address br;                  // the tunnel's remote end
  IpPrefix end_user_prefix;        // Rule IPv6 prefix + EA bits (r6 + o bits)
  // The CE's IPv4 address with its length: /32 for an address (shared when
  // psid_length > 0), shorter when the EA bits carry only part of the
  // suffix and the CE has an IPv4 prefix (§5.2, o < p).
  IpPrefix ipv4;
  unsigned psid_length = 0;        // k; 0 when the address is not shared
  std::uint16_t psid = 0;          // right-aligned, < 2^k
  // The ports the CE may use as source ports (and ICMP identifiers), in
  // ascending order (§5.1). One range 1-65535 when the address is not
  // shared (port 0 is never used).
  std::vector<PortRange> port_sets;
  Ipv6Address ce_ipv6;             // the tunnel's local end (§6 or draft-03)
  InterfaceIdForm interface_id = InterfaceIdForm::rfc7597;

  unsigned port_count() const;     // the sum of the sets' sizes
  bool shared() const { return psid_length > 0; }
};

// Each reason no result can be computed, with a readable message.
enum class MapError {
  no_rules,                 // the domain has no rule
  bad_rule_prefix,          // a rule's IPv6 prefix is not an IPv6 network
  bad_rule_ipv4,            // a rule's IPv4 prefix is not an IPv4 network
  bad_delegated_prefix,     // the delegated prefix is not an IPv6 prefix of length <= 64
  no_rule_covers,           // no rule's IPv6 prefix covers the delegated prefix
  ea_length_too_long,       // EA-bits length above 48 (§5.2)
  end_user_prefix_too_long, // r6 + EA bits above 64: no room for the interface identifier
  delegated_too_short,      // the delegated prefix is shorter than r6 + EA bits
  psid_too_long,            // k = o - p above 16
  psid_offset_out_of_range, // a above 15, or a + k above 16 (m < 0)
};
std::string_view to_string(MapError e);
inline constexpr std::size_t kMapErrorCount = 10;

struct MapFailure {
  MapError error;
  std::string message;  // names the rule and the numbers involved
};

// The rule whose IPv6 prefix covers `delegated` (longest match, the first
// of equals; RFC 7597 §5: the BMR is chosen by longest prefix match), and
// the CE's parameters from it. `delegated` is the WAN's delegated prefix
// (DHCPv6-PD) or, without one, its SLAAC /64.
std::expected<MapResult, MapFailure> map(const MapDomain& domain, const IpPrefix& delegated);

// The port sets of PSID `psid` (right-aligned, k bits) with offset a:
// A from 1 to 2^a - 1 (all of 0 when a = 0), each set 2^m ports (§5.1).
// Precondition: a + k <= 16, psid < 2^k.
std::vector<PortRange> port_sets(unsigned psid_offset, unsigned psid_length, std::uint16_t psid);

}  // namespace pairgate::tunnel
