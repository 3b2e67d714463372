#include "firewall/map_nat.h"

namespace pairgate::firewall {

namespace {

std::string range(const PortRange& r) {
  return r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
}

std::string set_of_ranges(const std::vector<PortRange>& sets) {
  std::string out = "{ ";
  for (std::size_t i = 0; i < sets.size(); ++i) out += (i ? ", " : "") + range(sets[i]);
  return out + " }";
}

}  // namespace

std::string map_nat_prefix(const std::string& tunnel) {
  std::string out = "mape_";
  for (char c : tunnel) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += ok ? c : '_';
  }
  return out;
}

std::string map_nat_counter(const std::string& tunnel) { return map_nat_prefix(tunnel) + "_unmapped"; }

std::string render_map_nat(const MapNat& nat) {
  const std::string name = map_nat_prefix(nat.tunnel);
  const std::string oif = "oifname \"" + nat.tunnel + "\" ";
  const std::string addr = nat.address.to_string();
  const std::string sets = set_of_ranges(nat.port_sets);
  const std::size_t n = nat.port_sets.size();
  std::string out;
  auto line = [&](const std::string& rule) { out += "\t\t" + rule + "\n"; };

  out += "\tcounter " + map_nat_counter(nat.tunnel) + " {\n\t\tcomment \"MAP-E on " + nat.tunnel +
         ": packets that would leave outside the port sets\"\n\t}\n\n";

  // NAT chains see the first packet of each connection only (conntrack
  // keeps the binding), so `numgen inc` advances once per new flow: flow i
  // goes to set i mod N, and each set gets 1/N of the flows. Only IPv4
  // crosses the tunnel (RFC 7597 §8, RFC 2473 IPv4-in-IPv6).
  out += "\tchain " + name + "_snat {\n";
  out += "\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
  std::string vmap;
  for (std::size_t i = 0; i < n; ++i) {
    vmap += (i ? ", " : "") + std::to_string(i) + " : jump " + name + "_set_" + std::to_string(i);
  }
  line(oif + "meta nfproto ipv4 meta l4proto { tcp, udp, icmp } numgen inc mod " + std::to_string(n) + " vmap { " +
       vmap + " } comment \"spread new flows over the " + std::to_string(n) + " port sets\"");
  out += "\t}\n";

  // One chain per set. The kernel picks a free port (ICMP: identifier) of
  // the tuple within the range; when the range has none for this
  // destination the conntrack entry cannot be confirmed and the kernel drops
  // the packet (conntrack's insert_failed statistic counts it; no rule of
  // the table sees it). A port outside the range is never chosen.
  for (std::size_t i = 0; i < n; ++i) {
    out += "\n\tchain " + name + "_set_" + std::to_string(i) + " {\n";
    line("meta l4proto { tcp, udp, icmp } snat ip to " + addr + ":" + range(nat.port_sets[i]));
    out += "\t}\n";
  }

  // After the NAT (srcnat + 10): whatever would still leave by the tunnel
  // from another address, port or identifier, or with a protocol a shared
  // address cannot carry (RFC 7597 §8.2: the BR drops it anyway), is dropped
  // here and counted, and never reaches the BR. The base chain costs other
  // traffic two rules; the check chain accepts the common cases first.
  const std::string count = "counter name \"" + map_nat_counter(nat.tunnel) + "\" drop";
  out += "\n\tchain " + name + "_guard {\n";
  out += "\t\ttype filter hook postrouting priority srcnat + 10; policy accept;\n";
  // A flow's first packet is checked in full (the check chain), and
  // conntrack gives every later packet the binding the first one got; an
  // established flow whose reply comes back to the CE address (one this
  // NAT, or the router itself on that address, mapped) therefore needs no
  // second look. Entries mapped to an earlier mapping are deleted when the
  // mapping changes (Service::flush_remapped), so none of them passes here.
  line(oif + "ct state established ct reply ip daddr " + addr + " accept comment \"a flow's first packet was checked\"");
  line(oif + "meta nfproto ipv4 jump " + name + "_check");
  out += "\t}\n";
  out += "\n\tchain " + name + "_check {\n";
  line("ip saddr " + addr + " meta l4proto { tcp, udp } th sport " + sets + " accept");
  // nft matches the identifier under one ICMP type a rule ("incompatible
  // icmp match" for a set of types): one rule for each echo type.
  for (const char* type : {"echo-request", "echo-reply"}) {
    line("ip saddr " + addr + " icmp type " + type + " icmp id " + sets + " accept");
  }
  line("ip saddr " + addr + " icmp type != { echo-request, echo-reply } accept comment \"ICMP errors: NAT maps their inner packet\"");
  line(count);
  out += "\t}\n";
  return out;
}

std::string render_map_nat_table(const MapNat& nat, const std::string& table) {
  return "table inet " + table + " {\n" + render_map_nat(nat) + "}\n";
}

}  // namespace pairgate::firewall
