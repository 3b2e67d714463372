#include "conf/parse_sections.h"

#include <array>

namespace pairgate::conf {

namespace {

bool valid_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              (c == '-' && label > 0 && i + 1 < name.size() && name[i + 1] != '.');
    if (!ok || ++label > 63) return false;
  }
  return true;
}

std::optional<Ipv6Address> unicast_v6(Reader& r, const YAML::Node& n, std::string_view what) {
  auto a = r.ip(n, what);
  if (!a) return std::nullopt;
  if (a->is_v4()) {
    r.error(n, std::string(what) + ": expected an IPv6 address, got " + a->to_string());
    return std::nullopt;
  }
  if (a->v6().is_multicast() || a->v6().is_link_local() || a->v6() == Ipv6Address{}) {
    r.error(n, std::string(what) + ": " + a->to_string() + " is not a global unicast address");
    return std::nullopt;
  }
  return a->v6();
}

// An IPv4 host address with its prefix length: not the network's own
// address or its broadcast (where they exist, /30 and shorter).
std::optional<IpPrefix> b4_address(Reader& r, const YAML::Node& n, const IpPrefix& p) {
  if (!p.address().is_v4()) {
    r.error(n, "ipv4_address: expected an IPv4 address with its length (192.0.0.2/29) or none, got " + p.to_string());
    return std::nullopt;
  }
  const std::uint32_t a = p.address().v4().to_uint();
  const std::uint32_t host_bits = p.length() >= 32 ? 0u : (~0u >> p.length());
  if (p.length() <= 30 && ((a & host_bits) == 0 || (a & host_bits) == host_bits)) {
    r.error(n, "ipv4_address: " + p.to_string() + " is the network's own or its broadcast address, not a host's");
    return std::nullopt;
  }
  return p;
}

void parse_health(Reader& r, const YAML::Node& n, Health& h) {
  MapReader m(r, n, "health");
  m.read("interval", h.interval, 100ms, 1h);
  h.timeout = h.interval;
  m.read("timeout", h.timeout, 10ms, 1h);
  if (h.timeout > h.interval) r.error(m.get("timeout"), "health.timeout: longer than health.interval");
  h.targets = r.list<Ipv4Address>(m.get("targets"), "health.targets",
                                  [&](const YAML::Node& e) { return r.ipv4(e, "health.targets"); });
  m.read("down_after", h.down_after, 1, 100);
  m.read("up_after", h.up_after, 1, 100);
}

std::optional<Tunnel> parse_tunnel(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "tunnel");
  if (!m.ok()) return std::nullopt;
  Tunnel t;
  t.mark = m.mark();
  if (auto v = read_interface(r, m.required("name"), "tunnel name")) t.name = *v;
  if (auto v = m.get("type"); v.IsDefined()) {
    if (auto i = r.choice(v, "type", {"dslite", "mape", "ipip"})) t.type = std::array{"dslite", "mape", "ipip"}[*i];
  }
  if (auto v = read_interface(r, m.required("wan_interface"), "wan_interface")) t.wan_interface = *v;
  // The other end: dslite's aftr, ipip's remote (one address, a list or a
  // name); mape's BR is `br`, and aftr is refused (parse_mape).
  const std::string end = t.type == "ipip" ? "remote" : "aftr";
  if (auto a = t.type == "mape" ? YAML::Node(YAML::NodeType::Undefined) : m.required(end); a.IsDefined()) {
    if (a.IsSequence()) {
      t.aftr_addresses = r.list<Ipv6Address>(a, end, [&](const YAML::Node& e) { return unicast_v6(r, e, end); });
      if (a.size() == 0) r.error(a, end + ": an empty list; give a name or at least one address");
    } else if (auto s = r.string(a, end)) {
      if (auto addr = IpAddress::parse(*s)) {
        if (auto v6 = unicast_v6(r, a, end)) t.aftr_addresses.push_back(*v6);
      } else if (valid_dns_name(*s)) {
        t.aftr_name = *s;
      } else {
        r.error(a, end + ": '" + *s + "' is neither an IPv6 address nor a host name");
      }
    }
  }
  t.resolver = r.list<IpAddress>(m.get("resolver"), "resolver", [&](const YAML::Node& e) { return r.ip(e, "resolver"); });
  if (auto l = m.get("local"); l.IsDefined()) {
    if (auto s = r.string(l, "local"); s && *s != "auto") t.local = unicast_v6(r, l, "local");
  }
  m.read("mtu", t.mtu, 1280, 65535);
  if (auto e = m.get("encap_limit"); e.IsDefined()) {
    if (auto s = r.string(e, "encap_limit"); s && *s != "none") {
      if (auto v = r.integer(e, "encap_limit", 0, 255)) t.encap_limit = static_cast<unsigned>(*v);
    }
  }
  if (t.type == "ipip") {
    parse_ipip(r, m, t);
  } else if (auto a = m.get("ipv4_address"); a.IsDefined()) {
    if (a.IsScalar() && a.Scalar() == "none") {
      t.ipv4_address.reset();
    } else if (auto p = r.prefix(a, "ipv4_address")) {
      t.ipv4_address = b4_address(r, a, *p);
    }
  }
  m.read("default_route", t.default_route);
  parse_health(r, m.get("health"), t.health);
  if (t.type == "mape") parse_mape(r, m, t);
  return t;
}

}  // namespace

void parse_tunnels(Reader& r, const YAML::Node& n, std::vector<Tunnel>& out) {
  out = r.list<Tunnel>(n, "tunnels", [&](const YAML::Node& e) { return parse_tunnel(r, e); });
}

}  // namespace pairgate::conf
