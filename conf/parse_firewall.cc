#include "conf/parse_sections.h"

namespace pairgate::conf {

namespace {

std::optional<std::uint16_t> port(Reader& r, const YAML::Node& n, std::string_view what) {
  if (!n.IsDefined()) return std::nullopt;
  auto v = r.integer(n, what, 1, 65535);
  if (!v) return std::nullopt;
  return static_cast<std::uint16_t>(*v);
}

std::optional<FirewallRule> parse_rule(Reader& r, const YAML::Node& n, std::string_view chain) {
  const std::string what = "firewall." + std::string(chain) + " rule";
  MapReader m(r, n, what);
  if (!m.ok()) return std::nullopt;
  FirewallRule rule;
  rule.mark = m.mark();
  if (auto f = m.get("from"); f.IsDefined()) {
    rule.from = r.prefix(f, "from", true);
    if (rule.from && !rule.from->is_network()) {
      r.error(f, "from: " + rule.from->to_string() + " has host bits set (did you mean " +
                     rule.from->network().to_string() + "?)");
    }
  }
  if (auto p = m.get("proto"); p.IsDefined()) {
    if (auto i = r.choice(p, "proto", {"any", "icmp", "ipv6-icmp", "vrrp", "ipip", "tcp", "udp"})) {
      rule.proto = static_cast<Proto>(*i);
    }
  }
  rule.sport = port(r, m.get("sport"), "sport");
  rule.dport = port(r, m.get("dport"), "dport");
  if (auto f = m.get("family"); f.IsDefined()) {
    if (auto i = r.choice(f, "family", {"ipv4", "ipv6"})) rule.family = static_cast<Family>(*i);
  }
  return rule;
}

}  // namespace

void parse_firewall(Reader& r, const YAML::Node& n, Firewall& out) {
  MapReader m(r, n, "firewall");
  out.mark = m.mark();
  m.read("enabled", out.enabled);
  if (auto t = m.get("table"); t.IsDefined()) {
    if (auto s = r.string(t, "table")) {
      // nft identifiers: a letter, then letters, digits, '_' (and we keep it short).
      bool ok = !s->empty() && s->size() <= 32 && std::isalpha(static_cast<unsigned char>(s->front()));
      for (char c : *s) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
      if (!ok) {
        r.error(t, "table: '" + *s + "' is not an nftables name (a letter, then letters, digits or '_')");
      } else {
        out.table = *s;
      }
    }
  }
  out.wan_interfaces = r.list<std::string>(m.get("wan_interfaces"), "wan_interfaces",
                                           [&](const YAML::Node& e) { return read_interface(r, e, "wan_interfaces"); });
  m.read("mss_clamp", out.mss_clamp);
  m.read("log_drops", out.log_drops);
  out.input = r.list<FirewallRule>(m.get("input"), "firewall.input",
                                   [&](const YAML::Node& e) { return parse_rule(r, e, "input"); });
  out.forward = r.list<FirewallRule>(m.get("forward"), "firewall.forward",
                                     [&](const YAML::Node& e) { return parse_rule(r, e, "forward"); });
  m.read("state_sync", out.state_sync);
  m.read("state_sync_max_entries", out.state_sync_max_entries, 1, 1'048'576);
  m.read("state_sync_instance", out.state_sync_instance);
}

}  // namespace pairgate::conf
