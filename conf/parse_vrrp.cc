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
  if (auto n2 = m.required("name"); n2.IsDefined()) {
    if (auto s = r.string(n2, "name")) {
      if (s->empty() || s->size() > 64 || s->find_first_of(" \t/") != std::string::npos) {
        r.error(n2, "name: '" + *s + "' must be 1-64 characters without spaces or '/'");
      } else {
        v.name = *s;
        v.name_mark = r.where(n2);
      }
    }
  }
  if (auto s = read_interface(r, m.required("interface"), "interface")) v.interface = *s;
  if (auto n2 = m.required("vrid"); n2.IsDefined()) {
    if (auto i = r.integer(n2, "vrid", 1, 255)) {
      v.vrid = static_cast<unsigned>(*i);
      v.vrid_mark = r.where(n2);
    }
  }
  m.read("priority", v.priority, 1, 255);
  if (auto n2 = m.get("version"); n2.IsDefined()) {
    v.version_mark = r.where(n2);
    if (auto i = r.integer(n2, "version", 2, 3)) v.version = static_cast<unsigned>(*i);
  }
  if (auto a = m.get("advert_interval"); a.IsDefined()) {
    if (v.version == 3) {
      // RFC 5798 §5.2.7: Max Adver Int is 12 bits of centiseconds.
      if (auto d = r.duration(a, "advert_interval", 10ms, 40950ms)) {
        if (d->count() % 10 != 0) {
          r.error(a, "advert_interval: " + a.Scalar() +
                         " is not a whole number of centiseconds (VRRPv3 advertises 10ms..40950ms in steps of 10ms)");
        } else {
          v.advert_interval = *d;
        }
      }
    } else if (auto d = r.duration(a, "advert_interval", 0s, 87600h)) {
      // RFC 3768 §5.3.7: Adver Int is a whole number of seconds.
      if (*d > 255s) {
        r.error(a, "advert_interval: " + a.Scalar() + " is out of range 1s..255s");
      } else if (*d < 1s) {
        r.error(a, "advert_interval: " + a.Scalar() + " is out of range 1s..255s for VRRPv2 (version: 3 advertises from 10ms)");
      } else if (d->count() % 1000 != 0) {
        r.error(a, "advert_interval: " + a.Scalar() + " is not a whole number of seconds (VRRPv2 advertises 1s..255s)");
      } else {
        v.advert_interval = *d;
      }
    }
  }
  m.read("preempt", v.preempt);
  m.read("preempt_delay", v.preempt_delay, 0s, 1000s);
  m.read("accept_mode", v.accept_mode);
  const YAML::Node vips = m.required("virtual_addresses");
  r.for_each(vips, "virtual_addresses", [&](const YAML::Node& e) {
    auto p = r.prefix(e, "virtual_addresses");
    if (!p) return;
    if (v.version == 2 && !p->address().is_v4()) {
      r.error(e, "virtual_addresses: " + p->to_string() +
                     " is IPv6; VRRPv2 carries IPv4 only (put IPv6 in excluded_addresses)");
    } else if (!v.virtual_addresses.empty() && p->family() != v.virtual_addresses.front().family()) {
      // RFC 5798 §1: IPv4 and IPv6 virtual routers are separate instances.
      r.error(e, "virtual_addresses: " + p->to_string() + " is " + (p->address().is_v4() ? "IPv4" : "IPv6") +
                     " but " + v.virtual_addresses.front().to_string() +
                     " is not; one instance carries one family (make two instances; they may share a sync group)");
    } else {
      v.virtual_addresses.push_back(*p);
      v.virtual_address_marks.push_back(r.where(e));
    }
  });
  if (vips.IsDefined() && (vips.IsNull() || (vips.IsSequence() && vips.size() == 0))) {
    r.error(vips, "virtual_addresses: at least one address is required");
  }
  r.for_each(m.get("unicast_peers"), "unicast_peers", [&](const YAML::Node& e) {
    if (auto a = r.ip(e, "unicast_peers")) {
      v.unicast_peers.push_back(*a);
      v.unicast_peer_marks.push_back(r.where(e));
    }
  });
  r.for_each(m.get("excluded_addresses"), "excluded_addresses", [&](const YAML::Node& e) {
    if (auto p = r.prefix(e, "excluded_addresses")) {
      v.excluded_addresses.push_back(*p);
      v.excluded_address_marks.push_back(r.where(e));
    }
  });
  if (auto a = m.get("auth_pass"); a.IsDefined()) {
    v.auth_pass_mark = r.where(a);
    if (auto s = r.string(a, "auth_pass")) {
      if (v.version == 3) {
        // RFC 5798 §9: VRRPv3 has no authentication.
        r.error(a, "auth_pass: VRRPv3 has no authentication (RFC 5798 §9); remove auth_pass or use version: 2");
      } else if (s->empty() || s->size() > 8) {
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
  r.for_each(m.required("instances"), "sync group instances", [&](const YAML::Node& e) {
    if (auto s = r.string(e, "sync group instance")) {
      g.instances.push_back(*s);
      g.instance_marks.push_back(r.where(e));
    }
  });
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
