#include "conf/validate.h"

#include <grp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <tuple>

#include "conf/duration.h"
#include "conf/key_file.h"
#include "conf/mape_check.h"
#include "conf/shared_b4.h"

namespace pairgate::conf {

namespace {

std::string at_line(Mark m) { return " (line " + std::to_string(m.line) + ")"; }

// The first mark that stands in the file: where an explicit key was written,
// else where its section starts.
Mark first_set(std::initializer_list<Mark> marks) {
  for (const Mark& m : marks) {
    if (m.line > 0) return m;
  }
  return {};
}

// The mark of element i, or `fallback` when the list has none.
Mark mark_at(const std::vector<Mark>& marks, std::size_t i, Mark fallback) {
  return i < marks.size() && marks[i].line > 0 ? marks[i] : fallback;
}

// getgrnam_r: the loader also runs on a reload's helper thread.
bool group_exists(const std::string& name) {
  group g{};
  group* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  while (::getgrnam_r(name.c_str(), &g, buffer.data(), buffer.size(), &found) == ERANGE &&
         buffer.size() < 1024 * 1024) {
    buffer.resize(buffer.size() * 2);
  }
  return found != nullptr;
}

void check_control(Reader& r, const Config& c) {
  if (!c.control.group.empty() && !group_exists(c.control.group)) {
    r.error(c.control.group_mark, "control.group: no group named '" + c.control.group + "' on this host");
  }
}

void check_sysctl(Reader& r, const Config& c) {
  for (const auto& e : c.sysctl) {
    // As sysctl(8): "net.ipv4.ip_forward", or "net/ipv4/conf/eth0.100/rp_filter"
    // where the dots stay.
    std::string path = "/proc/sys/" + e.key;
    if (e.key.find('/') == std::string::npos) std::replace(path.begin() + 10, path.end(), '.', '/');
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      r.error(e.mark, "sysctl: this kernel has no '" + e.key + "' (" + path + ")");
    }
  }
}

void check_vip(Reader& r, const VrrpInstance& in, const IpPrefix& p, Mark at, std::string_view what) {
  if (!p.address().is_v4() || p.length() >= 31) return;
  auto a = p.address().v4();
  const bool network = a == p.network().address().v4();
  if (network || a == p.v4_last()) {
    r.error(at, "vrrp instance " + in.name + ": " + std::string(what) + " " + p.to_string() + " is the " +
                    (network ? "network" : "broadcast") + " address of " + p.network().to_string());
  }
}

// Version 3 and unicast peers: what one key alone cannot tell.
void check_vrrp_v3(Reader& r, const VrrpInstance& in) {
  const std::string who = "vrrp instance " + in.name + ": ";
  const bool v6 = !in.virtual_addresses.empty() && !in.virtual_addresses.front().address().is_v4();
  // RFC 5798 §5.2.9: an IPv6 advert's first address is the link-local one.
  for (std::size_t i = 1; i < in.virtual_addresses.size(); ++i) {
    const auto& a = in.virtual_addresses[i].address();
    if (!a.is_v4() && a.v6().is_link_local()) {
      r.error(mark_at(in.virtual_address_marks, i, in.mark),
              who + "link-local virtual address " + a.to_string() +
                  " must come first (RFC 5798 §5.2.9), or be left out to use the derived one");
    }
  }
  std::set<IpAddress> peers;
  for (std::size_t i = 0; i < in.unicast_peers.size(); ++i) {
    const IpAddress& p = in.unicast_peers[i];
    const Mark at = mark_at(in.unicast_peer_marks, i, in.mark);
    if (p.is_v4() == v6) {
      r.error(at, who + "unicast peer " + p.to_string() + " is " + (p.is_v4() ? "IPv4" : "IPv6") +
                      " but the virtual addresses are " + (v6 ? "IPv6" : "IPv4"));
    } else if (!peers.insert(p).second) {
      r.error(at, who + "unicast peer " + p.to_string() + " is listed twice");
    } else if ((p.is_v4() && (p.v4().to_uint() >> 28) >= 14) || (!p.is_v4() && p.v6().is_multicast())) {
      r.error(at, who + "unicast peer " + p.to_string() + " is not a unicast address");
    } else {
      for (const auto& vip : in.virtual_addresses) {
        if (vip.address() == p) r.error(at, who + "unicast peer " + p.to_string() + " is one of its virtual addresses");
      }
    }
  }
}

void check_vrrp(Reader& r, const Config& c) {
  if (!c.vrrp) return;
  const auto& v = *c.vrrp;
  std::map<std::string, Mark> names;
  std::map<std::tuple<std::string, unsigned, bool>, std::string> vrids;  // (interface, vrid, IPv6)
  std::map<IpAddress, std::string> addresses;
  for (const auto& in : v.instances) {
    const Mark name_at = first_set({in.name_mark, in.mark});
    if (auto [it, fresh] = names.emplace(in.name, name_at); !fresh) {
      r.error(name_at, "vrrp instance name '" + in.name + "' is used twice" + at_line(it->second));
    }
    // RFC 5798 §1: a VRID names one IPv4 and, independently, one IPv6
    // virtual router on a link.
    const bool v6 = !in.virtual_addresses.empty() && !in.virtual_addresses.front().address().is_v4();
    if (auto [it, fresh] = vrids.emplace(std::tuple(in.interface, in.vrid, v6), in.name); !fresh) {
      r.error(first_set({in.vrid_mark, in.mark}), "vrrp instance " + in.name + ": vrid " +
                                                      std::to_string(in.vrid) + " on " + in.interface +
                                                      " is already used by " + it->second);
    }
    check_vrrp_v3(r, in);
    auto claim = [&](const IpPrefix& p, Mark at, std::string_view what) {
      check_vip(r, in, p, at, what);
      if (auto [it, fresh] = addresses.emplace(p.address(), in.name); !fresh) {
        r.error(at, "vrrp instance " + in.name + ": " + p.address().to_string() +
                        (it->second == in.name ? " is listed twice" : " is already an address of " + it->second));
      }
    };
    for (std::size_t i = 0; i < in.virtual_addresses.size(); ++i) {
      claim(in.virtual_addresses[i], mark_at(in.virtual_address_marks, i, in.mark), "virtual address");
    }
    for (std::size_t i = 0; i < in.excluded_addresses.size(); ++i) {
      claim(in.excluded_addresses[i], mark_at(in.excluded_address_marks, i, in.mark), "excluded address");
    }
    std::set<std::pair<Track::Kind, std::string>> tracked;
    for (const auto& t : in.track) {
      if (!tracked.emplace(t.kind, t.name).second) {
        r.error(t.mark, "vrrp instance " + in.name + ": '" + t.name + "' is tracked twice");
      }
      if (t.kind == Track::Kind::tunnel && c.find_tunnel(t.name) == nullptr) {
        r.error(t.mark, "vrrp instance " + in.name + ": tracked tunnel '" + t.name +
                            "' is not declared in tunnels");
      }
      if (t.kind == Track::Kind::interface && t.name == in.interface) {
        r.error(t.mark, "vrrp instance " + in.name + ": its own interface " + t.name +
                            " is always tracked; remove this entry");
      }
    }
    if (in.priority == 255 && !in.track.empty()) {
      r.error(in.mark, "vrrp instance " + in.name +
                           ": the address owner (priority 255) cannot track; its priority is fixed");
    }
  }
  std::map<std::string, std::string> member_of;
  std::set<std::string> groups;
  for (const auto& g : v.sync_groups) {
    if (!groups.insert(g.name).second) {
      r.error(g.mark, "sync group name '" + g.name + "' is used twice");
    }
    if (g.instances.empty()) r.error(g.mark, "sync group " + g.name + ": no instances");
    for (std::size_t i = 0; i < g.instances.size(); ++i) {
      const std::string& name = g.instances[i];
      const Mark at = mark_at(g.instance_marks, i, g.mark);
      if (c.find_instance(name) == nullptr) {
        r.error(at, "sync group " + g.name + ": no vrrp instance named '" + name + "'");
      } else if (auto [it, fresh] = member_of.emplace(name, g.name); !fresh) {
        r.error(at, "sync group " + g.name + ": instance " + name +
                        (it->second == g.name ? " is listed twice" : " is already in sync group " + it->second));
      }
    }
  }
}

struct PoolAt {
  Ipv4Range range;
  Mark mark;
  std::string subnet;
};

// Pools of all subnets that overlap, each pair reported once at the one
// written later. Sorted by first address, so n log n for any number of pools.
void check_pool_overlaps(Reader& r, std::vector<PoolAt> pools) {
  auto later = [](const PoolAt& a, const PoolAt& b) {
    return std::pair(a.mark.line, a.mark.column) > std::pair(b.mark.line, b.mark.column);
  };
  std::stable_sort(pools.begin(), pools.end(), [](const PoolAt& a, const PoolAt& b) {
    return a.range.first < b.range.first;
  });
  const PoolAt* widest = nullptr;  // the pool reaching furthest so far
  for (const PoolAt& p : pools) {
    if (widest != nullptr && widest->range.overlaps(p.range)) {
      const PoolAt& at = later(p, *widest) ? p : *widest;
      const PoolAt& other = &at == &p ? *widest : p;
      r.error(at.mark, "dhcp subnet " + at.subnet + ": pool " + at.range.to_string() + " overlaps pool " +
                           other.range.to_string() + at_line(other.mark));
    }
    if (widest == nullptr || widest->range.last < p.range.last) widest = &p;
  }
}

void check_subnet(Reader& r, const DhcpSubnet& s, std::vector<PoolAt>& all_pools) {
  const std::string where = "dhcp subnet " + s.subnet.to_string();
  const auto first = s.subnet.network().address().v4();
  const auto last = s.subnet.v4_last();
  auto usable = [&](Ipv4Address a) { return s.subnet.contains(a) && a != first && a != last; };
  for (const auto& p : s.pools) {
    if (!s.subnet.contains(p.range.first) || !s.subnet.contains(p.range.last)) {
      r.error(p.mark, where + ": pool " + p.range.to_string() + " is not inside the subnet");
    } else if (p.range.contains(first) || p.range.contains(last)) {
      const bool network = p.range.contains(first);
      r.error(p.mark, where + ": pool " + p.range.to_string() + " includes the " +
                          (network ? "network address " + first.to_string()
                                   : "broadcast address " + last.to_string()));
    }
    all_pools.push_back({p.range, p.mark, s.subnet.to_string()});
  }
  std::map<Ipv4Address, Mark> res_addrs;
  std::map<MacAddress, Mark> res_hw;
  std::map<std::vector<std::uint8_t>, Mark> res_id;
  for (const auto& res : s.reservations) {
    const Mark at = first_set({res.address_mark, res.mark});
    if (!usable(res.address)) {
      r.error(at, where + ": reservation " + res.address.to_string() +
                      (s.subnet.contains(res.address) ? " is the network or broadcast address"
                                                      : " is not inside the subnet"));
    }
    for (const auto& p : s.pools) {
      if (p.range.contains(res.address)) {
        r.error(at, where + ": reservation " + res.address.to_string() + " lies inside pool " +
                        p.range.to_string() + " (keep reservations out of the pools)");
      }
    }
    if (auto [it, fresh] = res_addrs.emplace(res.address, at); !fresh) {
      r.error(at, where + ": " + res.address.to_string() + " is reserved twice" + at_line(it->second));
    }
    if (res.hw_address) {
      if (auto [it, fresh] = res_hw.emplace(*res.hw_address, res.mark); !fresh) {
        r.error(res.mark, where + ": hw_address " + res.hw_address->to_string() + " is reserved twice" +
                              at_line(it->second));
      }
    }
    if (!res.client_id.empty()) {
      if (auto [it, fresh] = res_id.emplace(res.client_id, res.mark); !fresh) {
        r.error(res.mark, where + ": this client_id is reserved twice" + at_line(it->second));
      }
    }
  }
  for (std::size_t i = 0; i < s.options.routers.size(); ++i) {
    const Ipv4Address router = s.options.routers[i];
    if (!usable(router)) {
      r.error(mark_at(s.router_marks, i, s.mark),
              where + ": router " + router.to_string() +
                  (s.subnet.contains(router) ? " is the network or broadcast address" : " is not inside the subnet"));
    }
  }
  if (s.options.broadcast_address && !s.subnet.contains(*s.options.broadcast_address)) {
    r.error(s.mark, where + ": broadcast_address " + s.options.broadcast_address->to_string() +
                        " is not inside the subnet");
  }
  for (const auto& route : s.options.classless_static_routes) {
    if (!s.subnet.contains(route.gateway)) {
      r.error(s.mark, where + ": static route gateway " + route.gateway.to_string() +
                          " is not on the subnet");
    }
  }
  if (s.lease_time > s.max_lease_time) {
    r.error(first_set({s.lease_time_mark, s.max_lease_time_mark, s.mark}),
            where + ": lease_time " + format_duration(s.lease_time) + " is longer than max_lease_time " +
                format_duration(s.max_lease_time));
  }
  const Duration t1 = s.renew_time.value_or(s.lease_time / 2);
  const Duration t2 = s.rebind_time.value_or(s.lease_time * 7 / 8);
  // RFC 2131 §4.4.5: T1 < T2 < lease time.
  if (!(t1 < t2) || !(t2 < s.lease_time)) {
    r.error(first_set({s.renew_time_mark, s.rebind_time_mark, s.lease_time_mark, s.mark}),
            where + ": need renew_time < rebind_time < lease_time (RFC 2131 §4.4.5), have " +
                format_duration(t1) + ", " + format_duration(t2) + ", " + format_duration(s.lease_time));
  }
}

// A server identifier other than the host's own address must be a VRRP
// virtual address on the subnet's interface: clients unicast their renewals
// to it, and only the master of that instance answers there.
void check_server_identifier(Reader& r, const Config& c, const DhcpSubnet& s) {
  if (!s.server_identifier) return;
  const Mark at = first_set({s.server_identifier_mark, s.mark});
  const Ipv4Address sid = *s.server_identifier;
  std::string elsewhere;
  for (const auto& in : c.vrrp ? c.vrrp->instances : std::vector<VrrpInstance>{}) {
    for (const auto& v : in.virtual_addresses) {
      if (!v.address().is_v4() || v.address().v4() != sid) continue;
      if (in.interface == s.interface) return;
      elsewhere = in.name + " on " + in.interface;
    }
  }
  r.error(at, "dhcp subnet " + s.subnet.to_string() + ": server_identifier " + sid.to_string() +
                  (elsewhere.empty() ? " is not a virtual address of any VRRP instance on " + s.interface
                                     : " belongs to VRRP instance " + elsewhere + ", not to " + s.interface) +
                  " (leave it out to use this host's own address)");
}

void check_dhcp(Reader& r, const Config& c) {
  if (!c.dhcp) return;
  std::vector<PoolAt> pools;
  for (std::size_t i = 0; i < c.dhcp->subnets.size(); ++i) {
    const auto& s = c.dhcp->subnets[i];
    check_server_identifier(r, c, s);
    for (std::size_t j = 0; j < i; ++j) {
      const auto& o = c.dhcp->subnets[j];
      if (o.subnet.overlaps(s.subnet)) {
        r.error(s.mark, "dhcp subnet " + s.subnet.to_string() + " overlaps subnet " + o.subnet.to_string() +
                            at_line(o.mark));
      }
    }
    check_subnet(r, s, pools);
  }
  check_pool_overlaps(r, std::move(pools));
}

void check_tunnels(Reader& r, const Config& c) {
  std::set<std::string> interfaces;
  if (c.vrrp) {
    for (const auto& in : c.vrrp->instances) interfaces.insert(in.interface);
  }
  if (c.dhcp) {
    for (const auto& s : c.dhcp->subnets) interfaces.insert(s.interface);
  }
  std::map<std::string, Mark> names;
  const Tunnel* default_route = nullptr;
  for (const auto& t : c.tunnels) {
    if (auto [it, fresh] = names.emplace(t.name, t.mark); !fresh) {
      r.error(t.mark, "tunnel name '" + t.name + "' is used twice" + at_line(it->second));
    }
    if (t.name == t.wan_interface || interfaces.count(t.name)) {
      r.error(t.mark, "tunnel " + t.name + ": the name is already an interface in this file");
    }
    if (t.default_route) {
      if (default_route) {
        r.error(t.mark, "tunnel " + t.name + ": default_route (on unless set to false) is already on tunnel " +
                            default_route->name);
      }
      default_route = &t;
    }
    if (t.ipip && !t.ipip->update_credentials.empty()) {  // type ipip: checked like the peer's key file
      if (auto k = read_key_file(t.ipip->update_credentials, 3); !k) {
        r.error(t.mark, "tunnel " + t.name + ": update_credentials: " + t.ipip->update_credentials + ": " + k.error());
      } else {
        if (std::find(k->begin(), k->end(), ':') == k->end()) {
          r.error(t.mark, "tunnel " + t.name + ": update_credentials: " + t.ipip->update_credentials +
                              ": expected user:password");
        }
        wipe(*k);
      }
    }
    // A shared B4 address lives on the tunnel's WAN, where its neighbour
    // adverts reach the home gateway.
    if (auto elsewhere = shared_b4_elsewhere(c, t); elsewhere && !shared_b4(c, t)) {
      r.error(t.mark, "tunnel " + t.name + ": local " + t.local->to_string() + " is carried by VRRP instance " +
                          *elsewhere + ", which is not on wan_interface " + t.wan_interface);
    }
    if (t.mape) check_mape(r, c, t);
  }
}

void check_firewall(Reader& r, const Config& c) {
  if (!c.firewall) return;
  const auto& f = *c.firewall;
  if (f.enabled && f.wan_interfaces.empty()) {
    r.error(f.mark, "firewall: wan_interfaces is required when the firewall is enabled");
  }
  std::set<std::string> seen;
  for (const auto& w : f.wan_interfaces) {
    if (!seen.insert(w).second) r.error(f.mark, "firewall.wan_interfaces: " + w + " is listed twice");
  }
  if (f.state_sync) {
    // The state goes to the other router over the peer channel, and is
    // committed when the followed VRRP instance becomes master.
    if (!c.peer) r.error(f.mark, "firewall.state_sync needs the peer section (the entries travel over the peer channel)");
    if (!f.enabled) r.error(f.mark, "firewall.state_sync needs the firewall enabled (its forward chain marks the WAN flows)");
    const auto* instances = c.vrrp ? &c.vrrp->instances : nullptr;
    if (!instances || instances->empty()) {
      r.error(f.mark, "firewall.state_sync needs a VRRP instance to follow (the backup commits the state when it becomes master)");
    } else if (f.state_sync_instance.empty()) {
      if (instances->size() > 1 && c.vrrp->sync_groups.size() != 1) {
        r.error(f.mark, "firewall.state_sync_instance: name the VRRP instance or sync group the state follows (there are " +
                            std::to_string(instances->size()) + " instances)");
      }
    } else {
      bool found = false;
      for (const auto& i : *instances) found = found || i.name == f.state_sync_instance;
      for (const auto& g : c.vrrp->sync_groups) found = found || g.name == f.state_sync_instance;
      if (!found) {
        r.error(f.mark, "firewall.state_sync_instance: no VRRP instance or sync group named '" + f.state_sync_instance + "'");
      }
    }
  }
  for (const auto& [chain, rules] : {std::pair{"input", &f.input}, std::pair{"forward", &f.forward}}) {
    const std::string what = std::string("firewall.") + chain + " rule";
    for (const auto& rule : *rules) {
      const bool ports = rule.proto == Proto::tcp || rule.proto == Proto::udp;
      if ((rule.sport || rule.dport) && !ports) {
        r.error(rule.mark, what + ": sport and dport need proto tcp or udp");
      }
      std::optional<Family> implied;
      if (rule.proto == Proto::icmp || rule.proto == Proto::vrrp) implied = Family::ipv4;
      if (rule.proto == Proto::ipv6_icmp) implied = Family::ipv6;
      std::optional<Family> from_family;
      if (rule.from) from_family = rule.from->family();
      auto name = [](Family fam) { return fam == Family::ipv4 ? "ipv4" : "ipv6"; };
      if (rule.family && implied && *rule.family != *implied) {
        r.error(rule.mark, what + ": proto " + std::string(to_string(rule.proto)) +
                               " is " + name(*implied) + " only, but family is " + name(*rule.family));
      } else if (rule.family && from_family && *rule.family != *from_family) {
        r.error(rule.mark, what + ": from " + rule.from->to_string() + " is " +
                               name(*from_family) + ", but family is " + name(*rule.family));
      } else if (implied && from_family && *implied != *from_family) {
        r.error(rule.mark, what + ": proto " + std::string(to_string(rule.proto)) +
                               " is " + name(*implied) + " only, but from " + rule.from->to_string() +
                               " is " + name(*from_family));
      }
    }
  }
}

void check_peer(Reader& r, const Config& c) {
  if (!c.peer) return;
  const Peer& p = *c.peer;
  const Mark address_at = first_set({p.address_mark, p.mark});
  if (p.local && p.local->family() != p.address.family()) {
    r.error(first_set({p.local_mark, p.mark}), "peer.local: " + p.local->to_string() + " and peer.address " +
                                                   p.address.to_string() + " are of different families");
  }
  if (p.local && *p.local == p.address) {
    r.error(first_set({p.local_mark, p.mark}), "peer.local: the same address as peer.address");
  }
  for (const auto& in : c.vrrp ? c.vrrp->instances : std::vector<VrrpInstance>{}) {
    for (const auto* list : {&in.virtual_addresses, &in.excluded_addresses}) {
      for (const auto& v : *list) {
        if (v.address() == p.address) {
          r.error(address_at, "peer.address: " + p.address.to_string() + " is a virtual address of " + in.name +
                                  "; name the other router's own address");
        }
        if (p.local && v.address() == *p.local) {
          r.error(first_set({p.local_mark, p.mark}), "peer.local: " + p.local->to_string() +
                                                         " is a virtual address of " + in.name +
                                                         "; name this host's own address");
        }
      }
    }
  }
  if (!p.key_file.empty()) {
    auto key = read_key_file(p.key_file);
    if (!key) {
      r.error(first_set({p.key_file_mark, p.mark}), "peer.key_file: " + p.key_file + ": " + key.error());
    } else {
      wipe(*key);
    }
  }
}

void check_http(Reader& r, const Config& c) {
  if (!c.http) return;
  const auto& h = *c.http;
  if (h.listen.empty()) {
    r.error(h.mark, "http: listen needs at least one ADDRESS:PORT (the endpoint is off without the section)");
  }
  auto at = [&](std::size_t i) { return i < h.listen_marks.size() ? h.listen_marks[i] : h.mark; };
  auto wildcard = [](const IpAddress& a) { return a == IpAddress(Ipv4Address()) || a == IpAddress(Ipv6Address()); };
  for (std::size_t i = 0; i < h.listen.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      const auto& a = h.listen[i];
      const auto& b = h.listen[j];
      if (a.port != b.port || a.address.family() != b.address.family()) continue;
      if (a == b) {
        r.error(at(i), "http.listen: " + a.to_string() + " is listed twice");
      } else if (wildcard(a.address) || wildcard(b.address)) {
        r.error(at(i), "http.listen: " + a.to_string() + " and " + b.to_string() +
                           " overlap (a wildcard address already takes the port)");
      }
    }
  }
}

}  // namespace

void validate(Reader& r, const Config& c) {
  check_control(r, c);
  check_sysctl(r, c);
  check_vrrp(r, c);
  check_dhcp(r, c);
  check_tunnels(r, c);
  check_firewall(r, c);
  check_peer(r, c);
  check_http(r, c);
}

}  // namespace pairgate::conf
