// The keys of a `type: mape` tunnel (RFC 7597 MAP-E): br, rules,
// interface_id, prefix, vrrp_instance. Whether the rules give a mapping is
// checked in validate.cc, with tunnel/map_rule's own errors.
#include "conf/parse_sections.h"

namespace pairgate::conf {

namespace {

std::optional<tunnel::MapRule> parse_rule(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "rules entry");
  if (!m.ok()) return std::nullopt;
  tunnel::MapRule rule;
  auto v6 = r.prefix(m.required("ipv6_prefix"), "rules.ipv6_prefix");
  auto v4 = r.prefix(m.required("ipv4_prefix"), "rules.ipv4_prefix");
  if (v6 && v6->family() != Family::ipv6) r.error(m.get("ipv6_prefix"), "rules.ipv6_prefix: expected an IPv6 prefix, got " + v6->to_string());
  if (v4 && v4->family() != Family::ipv4) r.error(m.get("ipv4_prefix"), "rules.ipv4_prefix: expected an IPv4 prefix, got " + v4->to_string());
  if (auto e = m.required("ea_length"); e.IsDefined()) {
    if (auto v = r.integer(e, "rules.ea_length", 0, 48)) rule.ea_length = static_cast<unsigned>(*v);  // RFC 7597 §5.2
  }
  m.read("psid_offset", rule.psid_offset, 0, 15);  // §5.1: a, 6 by default
  if (!v6 || !v4 || v6->family() != Family::ipv6 || v4->family() != Family::ipv4) return std::nullopt;
  rule.ipv6_prefix = *v6;
  rule.ipv4_prefix = *v4;
  return rule;
}

}  // namespace

void parse_mape(Reader& r, MapReader& m, Tunnel& t) {
  Mape x;
  // Computed from the rules: neither may be given.
  for (const char* key : {"aftr", "ipv4_address", "local", "resolver"}) {
    if (auto v = m.get(key); v.IsDefined()) {
      r.error(v, std::string(key) + ": not for type mape (the BR is `br`; the CE's addresses are computed from the rules)");
    }
  }
  t.ipv4_address.reset();
  if (auto b = m.required("br"); b.IsDefined()) {
    if (auto a = r.ip(b, "br")) {
      if (a->is_v4() || a->v6().is_multicast() || a->v6().is_link_local() || a->v6() == Ipv6Address{}) {
        r.error(b, "br: " + a->to_string() + " is not a global unicast IPv6 address");
      } else {
        x.br = a->v6();
      }
    }
  }
  if (auto f = m.get("interface_id"); f.IsDefined()) {
    if (auto i = r.choice(f, "interface_id", {"rfc7597", "draft03"})) {
      x.interface_id = *i == 0 ? tunnel::InterfaceIdForm::rfc7597 : tunnel::InterfaceIdForm::draft03;
    }
  }
  if (auto p = m.get("prefix"); p.IsDefined()) {
    if (auto s = r.string(p, "prefix"); s && *s != "auto") {
      if (auto v = r.prefix(p, "prefix")) {
        if (v->family() != Family::ipv6 || v->length() > 64) {
          r.error(p, "prefix: expected the delegated IPv6 prefix (length at most 64) or auto, got " + v->to_string());
        } else {
          x.prefix = *v;
        }
      }
    }
  }
  auto rules = m.required("rules");
  x.rules = r.list<tunnel::MapRule>(rules, "rules", [&](const YAML::Node& e) { return parse_rule(r, e); });
  if (rules.IsDefined() && rules.IsSequence() && rules.size() == 0) r.error(rules, "rules: an empty list; give at least one rule");
  if (auto v = m.get("vrrp_instance"); v.IsDefined()) {
    if (auto s = r.string(v, "vrrp_instance")) x.vrrp_instance = *s;
    x.vrrp_instance_mark = Reader::mark(v);
  }
  t.mape = std::move(x);
}

}  // namespace pairgate::conf
