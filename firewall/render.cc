#include "firewall/render.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "firewall/ipip_snat.h"

namespace pairgate::firewall {

namespace {

std::string quoted_set(const std::vector<std::string>& names) {
  std::string out = "{ ";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", \"" : "\"") + names[i] + "\"";
  return out + " }";
}

std::vector<std::string> wan_interfaces(const conf::Config& c) {
  std::vector<std::string> out = c.firewall->wan_interfaces;
  for (const auto& t : c.tunnels) {
    if (std::find(out.begin(), out.end(), t.name) == out.end()) out.push_back(t.name);
  }
  return out;
}

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

std::string family_word(Family f) { return f == Family::ipv4 ? "ipv4" : "ipv6"; }

// One configured allow, e.g. {from: 192.0.2.0/24, proto: icmp}.
std::string render_rule(const conf::FirewallRule& r) {
  std::vector<std::string> m;
  if (r.from) {
    m.push_back(std::string(r.from->family() == Family::ipv4 ? "ip saddr " : "ip6 saddr ") + r.from->to_string());
  } else if (r.family) {
    m.push_back("meta nfproto " + family_word(*r.family));
  }
  switch (r.proto) {
    case conf::Proto::any: break;
    case conf::Proto::icmp: m.push_back("meta l4proto icmp"); break;
    case conf::Proto::ipv6_icmp: m.push_back("meta l4proto ipv6-icmp"); break;
    case conf::Proto::vrrp: m.push_back("meta l4proto 112"); break;   // VRRP
    case conf::Proto::ipip: m.push_back("meta l4proto 4"); break;     // IPv4 encapsulation (RFC 2473 for DS-Lite)
    case conf::Proto::tcp:
    case conf::Proto::udp: {
      const std::string p(to_string(r.proto));
      if (!r.sport && !r.dport) m.push_back("meta l4proto " + p);
      if (r.sport) m.push_back(p + " sport " + std::to_string(*r.sport));
      if (r.dport) m.push_back(p + " dport " + std::to_string(*r.dport));
      break;
    }
  }
  std::string out;
  for (const auto& part : m) out += part + " ";
  return out + "counter accept";
}

// RFC 4890 §4.3.1 / §4.4.1: ICMPv6 that must not be dropped.
constexpr const char* kIcmpv6Errors =
    "icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request, echo-reply }";

// Adverts from the peer on a VRRP interface that is also a WAN interface
// (on the others everything is accepted anyway): multicast to the group
// with TTL/hop limit 255 (RFC 3768 §5.2.2-5.2.3, RFC 5798 §5.1.1.3 and
// §5.1.2.3), or unicast from the configured peers (keepalived's
// unicast_peer; the engine still checks TTL and authentication).
template <class Line>
void vrrp_input_rules(const conf::Vrrp& v, const std::vector<std::string>& wan, Line& line) {
  std::vector<std::string> group4, group6;
  auto add = [](std::vector<std::string>& set, const std::string& name) {
    if (std::find(set.begin(), set.end(), name) == set.end()) set.push_back(name);
  };
  std::vector<std::string> unicast;
  for (const auto& in : v.instances) {
    if (std::find(wan.begin(), wan.end(), in.interface) == wan.end()) continue;
    const bool v6 = !in.virtual_addresses.empty() && !in.virtual_addresses.front().address().is_v4();
    if (in.unicast_peers.empty()) {
      add(v6 ? group6 : group4, in.interface);
      continue;
    }
    std::string peers;
    for (const auto& p : in.unicast_peers) peers += (peers.empty() ? "" : ", ") + p.to_string();
    add(unicast, "iifname \"" + in.interface + "\" " + (v6 ? "ip6" : "ip") + " saddr { " + peers +
                     " } meta l4proto 112 counter accept comment \"VRRP from the unicast peers of " + in.name + "\"");
  }
  if (!group4.empty()) {
    line("iifname " + quoted_set(group4) +
         " ip daddr 224.0.0.18 ip ttl 255 meta l4proto 112 counter accept comment \"VRRP from the peer\"");
  }
  if (!group6.empty()) {
    line("iifname " + quoted_set(group6) +
         " ip6 daddr ff02::12 ip6 hoplimit 255 meta l4proto 112 counter accept comment \"VRRPv3 from the peer\"");
  }
  for (const auto& rule : unicast) line(rule);
}

void own_input_rules(const conf::Config& c, const std::vector<std::string>& wan, std::string& out) {
  auto line = [&](const std::string& rule) { out += "\t\t" + rule + "\n"; };
  line(std::string(kIcmpv6Errors) + " accept comment \"RFC 4890 4.4.1\"");
  line("ip6 hoplimit 255 icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
       "ind-neighbor-solicit, ind-neighbor-advert } accept comment \"RFC 4890 4.4.1: neighbour discovery\"");
  line("ip6 saddr fe80::/10 icmpv6 type { mld-listener-query, mld-listener-report, mld-listener-done, "
       "mld2-listener-report } accept comment \"RFC 4890 4.4.1: MLD\"");
  line("ip6 saddr fe80::/10 udp sport 547 udp dport 546 accept comment \"DHCPv6 client\"");
  if (c.vrrp) vrrp_input_rules(*c.vrrp, wan, line);
  for (const auto& t : c.tunnels) {
    std::string from;
    if (!t.aftr_addresses.empty()) {
      from = "ip6 saddr { ";
      for (std::size_t i = 0; i < t.aftr_addresses.size(); ++i) from += (i ? ", " : "") + t.aftr_addresses[i].to_string();
      from += " } ";
    }
    if (t.mape) from = "ip6 saddr " + t.mape->br.to_string() + " ";
    line("iifname \"" + t.wan_interface + "\" meta nfproto ipv6 " + from + "meta l4proto 4 counter accept comment \"" +
         (t.mape ? "MAP-E from the BR" : t.ipip ? "IPv4 in IPv6 from the remote end" : "DS-Lite from the AFTR") + " of " +
         t.name + "\"");
  }
}

void chain(const conf::Config& c, const std::vector<std::string>& wan, bool input, std::string& out) {
  const auto& f = *c.firewall;
  const std::string name = input ? "input" : "forward";
  auto line = [&](const std::string& rule) { out += "\t\t" + rule + "\n"; };
  out += "\tchain " + name + " {\n";
  out += "\t\ttype filter hook " + name + " priority filter; policy accept;\n";
  if (!input && f.mss_clamp && !c.tunnels.empty()) {
    std::vector<std::string> tunnels;
    for (const auto& t : c.tunnels) tunnels.push_back(t.name);
    line("oifname " + quoted_set(tunnels) + " tcp flags syn tcp option maxseg size set rt mtu comment \"MSS clamp\"");
  }
  if (!input && f.state_sync) {
    // What state sync (ctsync/) carries: IPv4 flows forwarded out through a
    // WAN interface, marked when their first packet passes.
    line("oifname " + quoted_set(wan) + " meta nfproto ipv4 meta l4proto { tcp, udp, icmp } ct state new ct mark set ct mark | " +
         hex32(conf::kStateSyncMark) + " comment \"state sync: a WAN flow\"");
  }
  line("iifname != " + quoted_set(wan) + " accept");
  line("ct state established,related accept");
  line("ct state invalid counter drop");
  if (input) {
    own_input_rules(c, wan, out);
  } else {
    line(std::string(kIcmpv6Errors) + " accept comment \"RFC 4890 4.3.1\"");
  }
  for (const auto& r : input ? f.input : f.forward) line(render_rule(r));
  if (f.log_drops) {
    line("limit rate 10/minute burst 5 packets log prefix \"pairgate-drop " + name + ": \" level warn");
  }
  line("counter name \"" + name + "_drops\" drop");
  out += "\t}\n";
}

}  // namespace

std::string render_table(const conf::Config& c, const std::vector<MapNat>& maps) {
  const auto& f = *c.firewall;
  const auto wan = wan_interfaces(c);
  std::string out = "table inet " + f.table + " {\n";
  out += "\tcomment \"pairgate firewall of " + c.node + "; generated, edits are overwritten\"\n\n";
  out += "\tcounter input_drops {\n\t}\n\n";
  out += "\tcounter forward_drops {\n\t}\n\n";
  for (const auto& m : maps) out += render_map_nat(m) + "\n";
  chain(c, wan, true, out);
  out += "\n";
  chain(c, wan, false, out);
  out += render_ipip_snat(c);
  out += "}\n";
  return out;
}

std::string render_apply_script(const conf::Config& config, const std::string& old_table,
                                const std::vector<MapNat>& maps) {
  std::string out;
  if (!old_table.empty() && old_table != config.firewall->table) out += render_delete_script(old_table);
  out += render_delete_script(config.firewall->table);
  return out + render_table(config, maps);
}

std::string render_delete_script(const std::string& table) {
  return "add table inet " + table + "\ndelete table inet " + table + "\n";
}

}  // namespace pairgate::firewall
