#include "conf/parse_sections.h"

namespace pairgate::conf {

namespace {

std::vector<Ipv4Address> ipv4_list(Reader& r, const YAML::Node& n, std::string_view what) {
  return r.list<Ipv4Address>(n, what, [&](const YAML::Node& e) { return r.ipv4(e, what); });
}

std::optional<StaticRoute> parse_route(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "classless static route");
  if (!m.ok()) return std::nullopt;
  auto dest = r.prefix(m.required("destination"), "destination");
  auto gw = r.ipv4(m.required("gateway"), "gateway");
  if (!dest || !gw) return std::nullopt;
  if (!dest->address().is_v4()) {
    r.error(m.get("destination"), "destination: expected an IPv4 network");
    return std::nullopt;
  }
  if (!dest->is_network()) {
    r.error(m.get("destination"), "destination: " + dest->to_string() + " has host bits set (did you mean " +
                                      dest->network().to_string() + "?)");
    return std::nullopt;
  }
  return StaticRoute{*dest, *gw};
}

// Options pairgate fills in itself, or that have a key of their own.
std::string_view reserved_option(unsigned code) {
  switch (code) {
    case 1: return "it is derived from 'subnet'";
    case 3: return "use 'routers'";
    case 6: return "use 'domain_name_servers'";
    case 15: return "use 'domain_name'";
    case 26: return "use 'interface_mtu'";
    case 28: return "use 'broadcast_address'";
    case 42: return "use 'ntp_servers'";
    case 121: return "use 'classless_static_routes'";
    case 50: case 51: case 52: case 53: case 54: case 55: case 56: case 57: case 58: case 59:
    case 61: case 82:
      return "the server sets it for each message";
    default: return {};
  }
}

std::optional<RawOption> parse_custom(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "custom option");
  if (!m.ok()) return std::nullopt;
  RawOption o;
  const bool hex = m.has("hex");
  const bool text = m.has("text");
  auto code = r.integer(m.required("code"), "code", 1, 254);
  if (!code) return std::nullopt;
  o.code = static_cast<unsigned>(*code);
  if (auto why = reserved_option(o.code); !why.empty()) {
    r.error(m.get("code"), "code: option " + std::to_string(o.code) + " cannot be custom: " + std::string(why));
    return std::nullopt;
  }
  if (hex == text) {
    r.error(m.mark(), "custom option: give exactly one of 'hex' or 'text'");
    m.get("hex");
    m.get("text");
    return std::nullopt;
  }
  if (hex) {
    auto d = r.hex(m.get("hex"), "hex");
    if (!d) return std::nullopt;
    o.data = *d;
  } else {
    auto s = r.string(m.get("text"), "text");
    if (!s) return std::nullopt;
    o.data.assign(s->begin(), s->end());
  }
  // RFC 3396 lets long options span instances; keep one option within a
  // sane share of a 576-byte message.
  if (o.data.size() > 255 * 4) {
    r.error(m.get(hex ? "hex" : "text"), "custom option: at most 1020 bytes");
    return std::nullopt;
  }
  return o;
}

void parse_options(Reader& r, const YAML::Node& n, DhcpOptions& o, MarkList& router_marks) {
  MapReader m(r, n, "options");
  r.for_each(m.get("routers"), "routers", [&](const YAML::Node& e) {
    if (auto a = r.ipv4(e, "routers")) {
      o.routers.push_back(*a);
      router_marks.push_back(r.where(e));
    }
  });
  o.domain_name_servers = ipv4_list(r, m.get("domain_name_servers"), "domain_name_servers");
  o.ntp_servers = ipv4_list(r, m.get("ntp_servers"), "ntp_servers");
  if (auto d = m.get("domain_name"); d.IsDefined()) {
    if (auto s = r.string(d, "domain_name")) {
      bool ok = !s->empty() && s->size() <= 253;
      for (char c : *s) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.');
      }
      if (!ok) {
        r.error(d, "domain_name: '" + *s + "' is not a domain name");
      } else {
        o.domain_name = *s;
      }
    }
  }
  if (auto b = m.get("broadcast_address"); b.IsDefined()) o.broadcast_address = r.ipv4(b, "broadcast_address");
  if (auto mtu = m.get("interface_mtu"); mtu.IsDefined()) {
    if (auto v = r.integer(mtu, "interface_mtu", 68, 65535)) o.interface_mtu = static_cast<unsigned>(*v);
  }
  o.classless_static_routes = r.list<StaticRoute>(m.get("classless_static_routes"), "classless_static_routes",
                                                  [&](const YAML::Node& e) { return parse_route(r, e); });
  o.custom = r.list<RawOption>(m.get("custom"), "custom", [&](const YAML::Node& e) { return parse_custom(r, e); });
}

std::optional<Reservation> parse_reservation(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "reservation");
  if (!m.ok()) return std::nullopt;
  Reservation res;
  res.mark = m.mark();
  const bool hw = m.has("hw_address");
  const bool cid = m.has("client_id");
  if (hw == cid) {
    r.error(m.mark(), "reservation: give exactly one of 'hw_address' or 'client_id'");
    m.get("hw_address");
    m.get("client_id");
  } else if (hw) {
    auto n2 = m.get("hw_address");
    if (auto s = r.string(n2, "hw_address")) {
      res.hw_address = MacAddress::parse(*s);
      if (!res.hw_address) r.error(n2, "hw_address: expected a MAC address such as 52:54:00:12:34:56, got '" + *s + "'");
    }
  } else {
    auto n2 = m.get("client_id");
    if (auto d = r.hex(n2, "client_id")) {
      if (d->size() < 2) {
        r.error(n2, "client_id: RFC 2132 §9.14 needs at least 2 bytes");
      } else if (d->size() > 255) {
        r.error(n2, "client_id: at most 255 bytes (one option's worth), got " + std::to_string(d->size()));
      } else {
        res.client_id = *d;
      }
    }
  }
  if (auto n2 = m.required("address"); n2.IsDefined()) {
    if (auto a = r.ipv4(n2, "address")) {
      res.address = *a;
      res.address_mark = r.where(n2);
    }
  }
  if (auto h = m.get("hostname"); h.IsDefined()) {
    if (auto s = r.string(h, "hostname")) {
      // A DNS name: at most 253 characters as text (RFC 1035 §2.3.4).
      if (s->size() > 253) {
        r.error(h, "hostname: at most 253 characters (a DNS name), got " + std::to_string(s->size()));
      } else {
        res.hostname = *s;
      }
    }
  }
  return res;
}

std::optional<DhcpSubnet> parse_subnet(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "dhcp subnet");
  if (!m.ok()) return std::nullopt;
  DhcpSubnet s;
  s.mark = m.mark();
  if (auto v = read_interface(r, m.required("interface"), "interface")) s.interface = *v;
  if (auto sn = m.required("subnet"); sn.IsDefined()) {
    if (auto p = r.prefix(sn, "subnet")) {
      if (!p->address().is_v4()) {
        r.error(sn, "subnet: DHCPv4 serves IPv4 subnets");
      } else if (!p->is_network()) {
        r.error(sn, "subnet: " + p->to_string() + " has host bits set (did you mean " +
                        p->network().to_string() + "?)");
      } else if (p->length() > 30) {
        r.error(sn, "subnet: /" + std::to_string(p->length()) + " leaves no addresses to lease (at most /30)");
      } else {
        s.subnet = *p;
      }
    }
  }
  s.pools = r.list<Pool>(m.get("pools"), "pools", [&](const YAML::Node& e) -> std::optional<Pool> {
    auto text = r.string(e, "pools");
    if (!text) return std::nullopt;
    auto range = Ipv4Range::parse(*text);
    if (!range) {
      r.error(e, "pools: expected FIRST-LAST such as 192.0.2.20-192.0.2.99, got '" + *text + "'");
      return std::nullopt;
    }
    if (range->last < range->first) {
      r.error(e, "pools: " + *text + " ends before it starts");
      return std::nullopt;
    }
    return Pool{*range, r.where(e)};
  });
  m.read("lease_time", s.lease_time, 10s, 8760h);
  s.lease_time_mark = r.where(m.get("lease_time"));
  m.read("max_lease_time", s.max_lease_time, 10s, 8760h);
  s.max_lease_time_mark = r.where(m.get("max_lease_time"));
  if (auto t = m.get("renew_time"); t.IsDefined()) {
    s.renew_time = r.duration(t, "renew_time", 5s, 8760h);
    s.renew_time_mark = r.where(t);
  }
  if (auto t = m.get("rebind_time"); t.IsDefined()) {
    s.rebind_time = r.duration(t, "rebind_time", 5s, 8760h);
    s.rebind_time_mark = r.where(t);
  }
  if (auto sid = m.get("server_identifier"); sid.IsDefined()) {
    s.server_identifier = r.ipv4(sid, "server_identifier");
    s.server_identifier_mark = r.where(sid);
  }
  if (auto c = m.get("conflict_check"); c.IsDefined()) {
    if (auto i = r.choice(c, "conflict_check", {"arp", "icmp", "none", "auto"})) s.conflict_check = static_cast<ConflictCheck>(*i);
  }
  s.relays = ipv4_list(r, m.get("relays"), "relays");
  parse_options(r, m.get("options"), s.options, s.router_marks);
  s.reservations = r.list<Reservation>(m.get("reservations"), "reservations",
                                       [&](const YAML::Node& e) { return parse_reservation(r, e); });
  return s;
}

}  // namespace

void parse_dhcp(Reader& r, const YAML::Node& n, Dhcp& out) {
  MapReader m(r, n, "dhcp");
  if (auto f = m.get("lease_file"); f.IsDefined()) {
    if (auto s = r.string(f, "lease_file")) {
      if (s->empty() || s->front() != '/' || s->back() == '/') {
        r.error(f, "lease_file: must be an absolute file path");
      } else {
        out.lease_file = *s;
      }
    }
  }
  out.subnets = r.list<DhcpSubnet>(m.get("subnets"), "dhcp.subnets",
                                   [&](const YAML::Node& e) { return parse_subnet(r, e); });
}

}  // namespace pairgate::conf
