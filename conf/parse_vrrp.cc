#include "conf/parse_sections.h"

namespace pairgate::conf {

namespace {

std::optional<Track> parse_track(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "track entry");
  if (!m.ok()) return std::nullopt;
  Track t;
  t.mark = m.mark();
  const bool tunnel = m.has("tunnel");
  const bool interface = m.has("interface");
  if (tunnel == interface) {
    r.error(m.mark(), "track entry: give exactly one of 'tunnel' or 'interface'");
    m.get("tunnel");
    m.get("interface");
  } else if (tunnel) {
    t.kind = Track::Kind::tunnel;
    auto v = read_interface(r, m.get("tunnel"), "track.tunnel");
    if (v) t.name = *v;
  } else {
    t.kind = Track::Kind::interface;
    auto v = read_interface(r, m.get("interface"), "track.interface");
    if (v) t.name = *v;
  }
  if (auto w = m.get("weight"); w.IsDefined()) {
    if (auto v = r.integer(w, "track.weight", -254, 254)) {
      if (*v == 0) {
        r.error(w, "track.weight: 0 would change nothing; leave weight out to enter FAULT instead");
      } else {
        t.weight = static_cast<int>(*v);
      }
    }
  }
  return t;
}

void parse_garp(Reader& r, const YAML::Node& n, Garp& g) {
  MapReader m(r, n, "garp");
  m.read("delay", g.delay, 0s, 1h);
  m.read("repeat", g.repeat, 1, 100);
  m.read("refresh", g.refresh, 0s, 24h);
  if (g.refresh > 0s && g.refresh < 1s) {
    r.error(m.get("refresh"), "garp.refresh: at least 1s, or 0s for none");
  }
}

std::optional<VrrpInstance> parse_instance(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "vrrp instance");
  if (!m.ok()) return std::nullopt;
  VrrpInstance v;
  v.mark = m.mark();
  if (auto s = r.string(m.required("name"), "name"); s) {
    if (s->empty() || s->size() > 64 || s->find_first_of(" \t/") != std::string::npos) {
      r.error(m.get("name"), "name: '" + *s + "' must be 1-64 characters without spaces or '/'");
    } else {
      v.name = *s;
    }
  }
  if (auto s = read_interface(r, m.required("interface"), "interface")) v.interface = *s;
  if (auto i = r.integer(m.required("vrid"), "vrid", 1, 255)) v.vrid = static_cast<unsigned>(*i);
  m.read("priority", v.priority, 1, 255);
  if (auto a = m.get("advert_interval"); a.IsDefined()) {
    if (auto d = r.duration(a, "advert_interval", 1s, 255s)) {
      // RFC 3768 §5.3.7: Adver Int is a whole number of seconds.
      if (d->count() % 1000 != 0) {
        r.error(a, "advert_interval: VRRPv2 advertises whole seconds (1s..255s)");
      } else {
        v.advert_interval = *d;
      }
    }
  }
  m.read("preempt", v.preempt);
  m.read("preempt_delay", v.preempt_delay, 0s, 1000s);
  v.virtual_addresses = r.list<IpPrefix>(m.required("virtual_addresses"), "virtual_addresses",
                                         [&](const YAML::Node& e) -> std::optional<IpPrefix> {
    auto p = r.prefix(e, "virtual_addresses");
    if (p && !p->address().is_v4()) {
      r.error(e, "virtual_addresses: VRRPv2 carries IPv4 only; put IPv6 in excluded_addresses");
      return std::nullopt;
    }
    return p;
  });
  if (m.has("virtual_addresses") && v.virtual_addresses.empty() && m.get("virtual_addresses").IsSequence() &&
      m.get("virtual_addresses").size() == 0) {
    r.error(m.get("virtual_addresses"), "virtual_addresses: at least one address is required");
  }
  if (v.virtual_addresses.size() > 255) {
    r.error(m.get("virtual_addresses"), "virtual_addresses: at most 255 (the advert's Count IP Addrs)");
  }
  v.excluded_addresses = r.list<IpPrefix>(m.get("excluded_addresses"), "excluded_addresses",
                                          [&](const YAML::Node& e) { return r.prefix(e, "excluded_addresses"); });
  if (auto a = m.get("auth_pass"); a.IsDefined()) {
    if (auto s = r.string(a, "auth_pass")) {
      if (s->empty() || s->size() > 8) {
        r.error(a, "auth_pass: 1 to 8 characters (RFC 2338 simple text authentication)");
      } else {
        v.auth_pass = *s;
      }
    }
  }
  parse_garp(r, m.get("garp"), v.garp);
  v.track = r.list<Track>(m.get("track"), "track", [&](const YAML::Node& e) { return parse_track(r, e); });
  return v;
}

std::optional<SyncGroup> parse_sync_group(Reader& r, const YAML::Node& n) {
  MapReader m(r, n, "sync group");
  if (!m.ok()) return std::nullopt;
  SyncGroup g;
  g.mark = m.mark();
  if (auto s = r.string(m.required("name"), "sync group name")) g.name = *s;
  g.instances = r.list<std::string>(m.required("instances"), "sync group instances",
                                    [&](const YAML::Node& e) { return r.string(e, "sync group instance"); });
  return g;
}

}  // namespace

void parse_vrrp(Reader& r, const YAML::Node& n, Vrrp& out) {
  MapReader m(r, n, "vrrp");
  out.instances = r.list<VrrpInstance>(m.get("instances"), "vrrp.instances",
                                       [&](const YAML::Node& e) { return parse_instance(r, e); });
  out.sync_groups = r.list<SyncGroup>(m.get("sync_groups"), "vrrp.sync_groups",
                                      [&](const YAML::Node& e) { return parse_sync_group(r, e); });
}

}  // namespace pairgate::conf
