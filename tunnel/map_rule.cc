#include "tunnel/map_rule.h"

#include <array>

namespace pairgate::tunnel {

namespace {

using Bytes = std::array<std::uint8_t, 16>;

// Bits [start, start + count) of `b`, most significant first; count <= 64.
std::uint64_t bits(const Bytes& b, unsigned start, unsigned count) {
  std::uint64_t out = 0;
  for (unsigned i = start; i < start + count; ++i) out = (out << 1) | ((b[i / 8] >> (7 - i % 8)) & 1u);
  return out;
}

// Writes `value`'s low `count` bits at bit `start` of `b`.
void put_bits(Bytes& b, unsigned start, unsigned count, std::uint64_t value) {
  for (unsigned i = 0; i < count; ++i) {
    const unsigned pos = start + i;
    const unsigned bit = (value >> (count - 1 - i)) & 1u;
    const auto mask = static_cast<std::uint8_t>(0x80u >> (pos % 8));
    b[pos / 8] = static_cast<std::uint8_t>(bit ? (b[pos / 8] | mask) : (b[pos / 8] & ~mask));
  }
}

std::string rule_name(std::size_t index, const MapRule& r) {
  return "rule " + std::to_string(index + 1) + " (" + r.ipv6_prefix.to_string() + " -> " +
         r.ipv4_prefix.to_string() + ", ea_length " + std::to_string(r.ea_length) + ", psid_offset " +
         std::to_string(r.psid_offset) + ")";
}

std::unexpected<MapFailure> fail(MapError e, std::string message) {
  return std::unexpected(MapFailure{e, std::move(message)});
}

// The checks that do not depend on the delegated prefix.
std::optional<MapFailure> check_rule(std::size_t index, const MapRule& r) {
  const std::string name = rule_name(index, r);
  if (r.ipv6_prefix.family() != Family::ipv6 || !r.ipv6_prefix.is_network()) {
    return MapFailure{MapError::bad_rule_prefix, name + ": the IPv6 prefix must be an IPv6 network (no host bits)"};
  }
  if (r.ipv4_prefix.family() != Family::ipv4 || !r.ipv4_prefix.is_network()) {
    return MapFailure{MapError::bad_rule_ipv4, name + ": the IPv4 prefix must be an IPv4 network (no host bits)"};
  }
  // RFC 7597 §5.2: "The length of the EA-bits field ... can be between 0 and 48."
  if (r.ea_length > 48) {
    return MapFailure{MapError::ea_length_too_long, name + ": ea_length " + std::to_string(r.ea_length) +
                                                        " is above 48 (RFC 7597 5.2)"};
  }
  // RFC 7597 §5.2 / §6: the End-user IPv6 prefix and the subnet ID fill the
  // first 64 bits; the interface identifier takes the other 64.
  if (r.ipv6_prefix.length() + r.ea_length > 64) {
    return MapFailure{MapError::end_user_prefix_too_long,
                      name + ": the rule's IPv6 prefix length plus ea_length is " +
                          std::to_string(r.ipv6_prefix.length() + r.ea_length) + ", above 64"};
  }
  const int p = 32 - static_cast<int>(r.ipv4_prefix.length());
  const int k = static_cast<int>(r.ea_length) - p;  // §5.2: q = o - p
  if (k > 16) {
    return MapFailure{MapError::psid_too_long, name + ": the PSID would be " + std::to_string(k) +
                                                   " bits (ea_length - (32 - IPv4 prefix length)), above 16"};
  }
  // RFC 7597 §5.1: a + k + m = 16 with m >= 0; a = 16 would leave no room
  // for any port once the A = 0 set is excluded.
  if (r.psid_offset > 15) {
    return MapFailure{MapError::psid_offset_out_of_range,
                      name + ": psid_offset " + std::to_string(r.psid_offset) + " is above 15"};
  }
  if (k > 0 && r.psid_offset + static_cast<unsigned>(k) > 16) {
    return MapFailure{MapError::psid_offset_out_of_range,
                      name + ": psid_offset " + std::to_string(r.psid_offset) + " plus the PSID length " +
                          std::to_string(k) + " is above 16 (RFC 7597 5.1: a + k + m = 16)"};
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(InterfaceIdForm f) { return f == InterfaceIdForm::rfc7597 ? "rfc7597" : "draft03"; }

std::optional<InterfaceIdForm> parse_interface_id_form(std::string_view text) {
  if (text == "rfc7597") return InterfaceIdForm::rfc7597;
  if (text == "draft03") return InterfaceIdForm::draft03;
  return std::nullopt;
}

std::string_view to_string(MapError e) {
  switch (e) {
    case MapError::no_rules: return "no_rules";
    case MapError::bad_rule_prefix: return "bad_rule_prefix";
    case MapError::bad_rule_ipv4: return "bad_rule_ipv4";
    case MapError::bad_delegated_prefix: return "bad_delegated_prefix";
    case MapError::no_rule_covers: return "no_rule_covers";
    case MapError::ea_length_too_long: return "ea_length_too_long";
    case MapError::end_user_prefix_too_long: return "end_user_prefix_too_long";
    case MapError::delegated_too_short: return "delegated_too_short";
    case MapError::psid_too_long: return "psid_too_long";
    case MapError::psid_offset_out_of_range: return "psid_offset_out_of_range";
  }
  return "unknown";
}

unsigned MapResult::port_count() const {
  unsigned n = 0;
  for (const auto& s : port_sets) n += s.size();
  return n;
}

// RFC 7597 §5.1: a port is A (a bits) | PSID (k bits) | M (m bits),
// a + k + m = 16. The sets of one PSID are, for each A, the 2^m ports
// (A << (k + m)) | (PSID << m) | j, j = 0 .. 2^m - 1. With a > 0, A = 0 is
// excluded ("A > 0" in §5.1: with the default a = 6 this excludes the
// system ports 0-1023), so there are 2^a - 1 sets; with a = 0 there is one.
std::vector<PortRange> port_sets(unsigned a, unsigned k, std::uint16_t psid) {
  const unsigned m = 16 - a - k;
  std::vector<PortRange> out;
  const unsigned first_a = a > 0 ? 1 : 0;
  for (unsigned big_a = first_a; big_a < (1u << a); ++big_a) {
    const unsigned start = (big_a << (k + m)) | (unsigned{psid} << m);
    const unsigned end = start + (1u << m) - 1;
    // Port 0 is never a source port: with a = 0 and PSID 0 the set loses it.
    const unsigned first = start == 0 ? 1 : start;
    if (first <= end) out.push_back({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(end)});
  }
  return out;
}

std::expected<MapResult, MapFailure> map(const MapDomain& domain, const IpPrefix& delegated) {
  if (domain.rules.empty()) return fail(MapError::no_rules, "the MAP domain has no rule");
  if (delegated.family() != Family::ipv6 || delegated.length() > 64) {
    return fail(MapError::bad_delegated_prefix,
                "the delegated prefix " + delegated.to_string() + " is not an IPv6 prefix of length 64 or less");
  }
  // RFC 7597 §5 (and §7.1): the BMR is the rule whose Rule IPv6 prefix is
  // the longest match of the End-user IPv6 prefix.
  std::optional<std::size_t> best;
  for (std::size_t i = 0; i < domain.rules.size(); ++i) {
    const auto& r = domain.rules[i];
    if (r.ipv6_prefix.family() != Family::ipv6) continue;
    if (r.ipv6_prefix.length() > delegated.length() || !r.ipv6_prefix.contains(delegated.address())) continue;
    if (!best || r.ipv6_prefix.length() > domain.rules[*best].ipv6_prefix.length()) best = i;
  }
  if (!best) {
    return fail(MapError::no_rule_covers, "no rule's IPv6 prefix covers the delegated prefix " + delegated.to_string());
  }
  const std::size_t index = *best;
  const MapRule& rule = domain.rules[index];
  if (auto bad = check_rule(index, rule)) return std::unexpected(std::move(*bad));

  const unsigned r6 = rule.ipv6_prefix.length();
  const unsigned o = rule.ea_length;
  const unsigned r4 = rule.ipv4_prefix.length();
  const unsigned p = 32 - r4;
  // RFC 7597 §5.2: the EA bits follow the Rule IPv6 prefix in the End-user
  // IPv6 prefix, so the delegated prefix must hold all of them.
  if (delegated.length() < r6 + o) {
    return fail(MapError::delegated_too_short,
                "the delegated prefix " + delegated.to_string() + " is shorter than the " + std::to_string(r6 + o) +
                    " bits that " + rule_name(index, rule) + " needs (IPv6 prefix length + ea_length)");
  }

  const Bytes pd = delegated.network().address().v6().bytes();
  const std::uint64_t ea = bits(pd, r6, o);

  MapResult res;
  res.rule_index = index;
  res.rule = rule;
  res.br = domain.br;
  res.interface_id = domain.interface_id;
  {
    Bytes eu{};
    for (unsigned i = 0; i < r6 + o; ++i) put_bits(eu, i, 1, bits(pd, i, 1));
    res.end_user_prefix = IpPrefix(Ipv6Address(eu), r6 + o);
  }

  // RFC 7597 §5.2: the IPv4 address (or prefix) is the Rule IPv4 prefix
  // followed by the first p EA bits ("IPv4 address suffix"); the other
  // q = o - p bits are the PSID. With o < p only o suffix bits are known:
  // the CE has the prefix of length r4 + o (right-padded with zeros).
  const std::uint32_t v4prefix = rule.ipv4_prefix.address().v4().to_uint();
  std::uint32_t v4 = v4prefix;
  if (o >= p) {
    res.psid_length = o - p;
    if (p > 0) v4 |= static_cast<std::uint32_t>(ea >> res.psid_length);
    res.psid = static_cast<std::uint16_t>(ea & ((std::uint64_t{1} << res.psid_length) - 1));
    res.ipv4 = IpPrefix(Ipv4Address(v4), 32);
  } else {
    if (o > 0) v4 |= static_cast<std::uint32_t>(ea << (p - o));
    res.ipv4 = IpPrefix(Ipv4Address(v4), r4 + o);
  }

  if (res.psid_length > 0) {
    res.port_sets = port_sets(rule.psid_offset, res.psid_length, res.psid);
  } else {
    res.port_sets = {{1, 65535}};  // a whole address or prefix: no port restriction
  }

  // The CE IPv6 address: the End-user IPv6 prefix, then the MAP subnet ID
  // (RFC 7597 §5.2: "the first subnet (s bits set to zero)"), then the
  // interface identifier. When the delegated prefix is longer than the
  // End-user prefix (a SLAAC /64 under a /56 rule) its own subnet bits are
  // kept: the CE can only use an address inside the prefix it was given.
  Bytes ce{};
  for (unsigned i = 0; i < delegated.length(); ++i) put_bits(ce, i, 1, bits(pd, i, 1));
  const auto v4b = Ipv4Address(v4).bytes();
  // The PSID is right-aligned in 16 bits in both forms (§6: "left-padded
  // with zeros to create a 16-bit field"); zero for a full address or prefix.
  const std::uint16_t psid16 = res.psid;
  if (domain.interface_id == InterfaceIdForm::rfc7597) {
    // RFC 7597 §6: | 16 bits 0 | 32 bits IPv4 address | 16 bits PSID |,
    // i.e. bytes 8-9 zero, 10-13 the IPv4 address, 14-15 the PSID.
    for (unsigned i = 0; i < 4; ++i) ce[10 + i] = v4b[i];
    ce[14] = static_cast<std::uint8_t>(psid16 >> 8);
    ce[15] = static_cast<std::uint8_t>(psid16 & 0xff);
  } else {
    // draft-ietf-softwire-map-03 (v6plus, OpenWrt's legacymap): the same
    // fields 8 bits further left: | 8 bits 0 | 32 bits IPv4 | 16 bits PSID
    // | 8 bits 0 |, i.e. byte 8 zero, 9-12 the IPv4 address, 13-14 the
    // PSID, 15 zero.
    for (unsigned i = 0; i < 4; ++i) ce[9 + i] = v4b[i];
    ce[13] = static_cast<std::uint8_t>(psid16 >> 8);
    ce[14] = static_cast<std::uint8_t>(psid16 & 0xff);
  }
  res.ce_ipv6 = Ipv6Address(ce);
  return res;
}

}  // namespace pairgate::tunnel
