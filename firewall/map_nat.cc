#include "firewall/map_nat.h"

namespace pairgate::firewall {

namespace {

std::string range(const PortRange& r) {
  return r.first == r.last ? std::to_string(r.first) : std::to_string(r.first) + "-" + std::to_string(r.last);
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
  const std::size_t n = nat.port_sets.size();
  std::string out;
  auto line = [&](const std::string& rule) { out += "\t\t" + rule + "\n"; };

  out += "\tcounter " + map_nat_counter(nat.tunnel) + " {\n\t\tcomment \"MAP-E on " + nat.tunnel +
         ": new flows of a protocol the port sets cannot carry\"\n\t}\n\n";

  // NAT chains see the first packet of each connection only (conntrack
  // keeps the binding), so `numgen inc` advances once per new flow: flow i
  // goes to set i mod N, and each set gets 1/N of the flows. Only IPv4
  // crosses the tunnel (RFC 7597 §8, RFC 2473 IPv4-in-IPv6).
  //
  // The guard is the first rule: a new flow of another protocol (GRE, ESP,
  // SCTP ...) has no port to map and would leave with the LAN's address,
  // which the BR drops (RFC 7597 §8: it checks a packet's source address
  // and port against the sending CE's mapping). It is dropped and counted
  // here, and since its entry is never confirmed, so is each later packet.
  // Every TCP, UDP and ICMP flow is mapped into the sets by the kernel's
  // NAT, which never picks a port outside the range it is given; entries of
  // an earlier mapping are deleted when it changes (Service::flush_remapped)
  // and a synced entry replaces a differently mapped one at takeover
  // (ctsync::commit_entries). No rule looks at a flow's later packets: a
  // filter chain on the postrouting hook, however short, cost 3-6% of the
  // 64-byte UDP rate (scripts/bench/mape), and it could only catch what
  // the BR drops anyway.
  out += "\tchain " + name + "_snat {\n";
  out += "\t\ttype nat hook postrouting priority srcnat; policy accept;\n";
  line(oif + "meta nfproto ipv4 meta l4proto != { tcp, udp, icmp } counter name \"" + map_nat_counter(nat.tunnel) +
       "\" drop comment \"no ports to map\"");
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
  return out;
}

std::string render_map_nat_table(const MapNat& nat, const std::string& table) {
  return "table inet " + table + " {\n" + render_map_nat(nat) + "}\n";
}

}  // namespace pairgate::firewall
