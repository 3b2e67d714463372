#include "conf/print.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdio>
#include <sstream>

#include "conf/duration.h"

namespace pairgate::conf {

// --print-config is only as good as its list of keys: a field added to a
// struct of config.h must be printed here too (and read back by the parser).
// These sizes change with almost any new field, so the build says so; update
// them once print() knows the field. (x86-64 with libstdc++, what pairgate
// is built for.)
#if defined(__x86_64__) && defined(__GLIBCXX__)
static_assert(sizeof(Control) == 80 && sizeof(Logging) == 8 && sizeof(Email) == 104 && sizeof(Notify) == 136,
              "a new field in control, logging or notify: print it in conf/print.cc");
static_assert(sizeof(Garp) == 24 && sizeof(Track) == 56 && sizeof(VrrpInstance) == 376 && sizeof(SyncGroup) == 88 &&
                  sizeof(Vrrp) == 48,
              "a new field in vrrp: print it in conf/print.cc");
static_assert(sizeof(StaticRoute) == 28 && sizeof(RawOption) == 32 && sizeof(DhcpOptions) == 168 &&
                  sizeof(Reservation) == 88 && sizeof(Pool) == 16 && sizeof(DhcpSubnet) == 432 && sizeof(Dhcp) == 56,
              "a new field in dhcp: print it in conf/print.cc");
static_assert(sizeof(Health) == 48 && sizeof(Tunnel) == 416 + sizeof(std::optional<Ipip>) && sizeof(Mape) == 112 &&
                  sizeof(tunnel::MapRule) == 56 && sizeof(Ipip) == 136,
              "a new field in tunnels: print it in conf/print.cc");
static_assert(sizeof(FirewallRule) == 56 && sizeof(Firewall) == 168, "a new field in firewall: print it in conf/print.cc");
// Peer's key_stamp is not a key: it is read from the key file (so is Ipip's credentials_stamp).
static_assert(sizeof(Peer) == 136, "a new field in peer: print it in conf/print.cc");
static_assert(sizeof(SysctlEntry) == 72 &&
                  sizeof(Config) == 600 + sizeof(std::optional<Peer>) + sizeof(std::optional<Http>),
              "a new section: print it in conf/print.cc");
static_assert(sizeof(HttpListen) == 24 && sizeof(Http) == 80, "a new field in http: print it in conf/print.cc");
#endif

namespace {

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode);
  return buf;
}

std::string hex_bytes(const std::vector<std::uint8_t>& data) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < data.size(); ++i) {
    std::snprintf(buf, sizeof buf, i ? ":%02x" : "%02x", data[i]);
    out += buf;
  }
  return out;
}

// The family a firewall rule is restricted to: its own, or what `from` and
// `proto` imply; none when it matches both.
std::optional<Family> effective_family(const FirewallRule& r) {
  if (r.family) return r.family;
  if (r.from) return r.from->family();
  if (r.proto == Proto::icmp || r.proto == Proto::vrrp) return Family::ipv4;
  if (r.proto == Proto::ipv6_icmp) return Family::ipv6;
  return std::nullopt;
}

// A yaml-cpp emitter that knows the path of the key it writes, so comments
// find their place, and whether defaults are printed.
class Printer {
 public:
  explicit Printer(const PrintOptions& o) : o_(o) {
    out_.SetIndent(2);
    out_.SetSeqFormat(YAML::Block);
  }

  std::string text() { return std::string(out_.c_str()) + "\n"; }
  YAML::Emitter& out() { return out_; }
  bool all() const { return o_.defaults; }

  // True when the key at `path` is to be printed: always in the long form;
  // in the short one when its value is not the default or it has a comment.
  bool wanted(const std::string& path, bool is_default) const {
    return o_.defaults || !is_default || o_.comments.contains(path);
  }

  void comment(const std::string& path) {
    if (auto it = o_.comments.find(path); it != o_.comments.end()) out_ << YAML::Comment(it->second);
  }

  template <typename T>
  void scalar(const std::string& path, std::string_view key, const T& value, bool is_default = false) {
    if (!wanted(path, is_default)) return;
    out_ << YAML::Key << std::string(key) << YAML::Value << value;
    comment(path);
  }
  void quoted(const std::string& path, std::string_view key, const std::string& value, bool is_default = false) {
    if (!wanted(path, is_default)) return;
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted << value;
    comment(path);
  }
  void duration(const std::string& path, std::string_view key, Duration d, Duration def) {
    scalar(path, key, format_duration(d), d == def);
  }
  template <typename List, typename F>
  void flow_list(const std::string& path, std::string_view key, const List& items, F text, bool required = false) {
    if (!wanted(path, items.empty() && !required)) return;
    out_ << YAML::Key << std::string(key) << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& i : items) out_ << text(i);
    out_ << YAML::EndSeq;
    comment(path);
  }
  // A mapping that is printed when `has_content` or in the long form; an
  // empty one is written {} with its comment after it.
  bool open(const std::string& path, std::string_view key, bool has_content) {
    if (!wanted(path, !has_content)) return false;
    begin(path, key, !has_content && !o_.defaults, YAML::BeginMap);
    return true;
  }
  void close() { end(YAML::EndMap); }
  // A list or mapping under `key`: a comment goes after the key, or after
  // [] / {} when it is empty.
  void begin(const std::string& path, std::string_view key, bool empty, YAML::EMITTER_MANIP what) {
    out_ << YAML::Key << std::string(key);
    if (!empty) comment(path);
    out_ << YAML::Value << (empty ? YAML::Flow : YAML::Block) << what;
    pending_.push_back(empty ? path : std::string());
  }
  void end(YAML::EMITTER_MANIP what) {
    out_ << what;
    if (!pending_.empty()) {
      if (!pending_.back().empty()) comment(pending_.back());
      pending_.pop_back();
    }
  }

 private:
  const PrintOptions& o_;
  YAML::Emitter out_;
  std::vector<std::string> pending_;
};

void print_control(Printer& p, const Control& c) {
  const Control d;
  if (!p.open("control", "control", !(c == d))) return;
  p.scalar("control.socket", "socket", c.socket, c.socket == d.socket);
  p.quoted("control.mode", "mode", octal(c.mode), c.mode == d.mode);
  if (p.all() || !c.group.empty()) p.scalar("control.group", "group", c.group);
  p.close();
}

void print_logging(Printer& p, const Logging& l) {
  const Logging d;
  if (!p.open("logging", "logging", !(l == d))) return;
  p.scalar("logging.level", "level", std::string(to_string(l.level)), l.level == d.level);
  p.scalar("logging.target", "target", std::string(to_string(l.target)), l.target == d.target);
  p.close();
}

void print_notify(Printer& p, const Notify& n) {
  if (!p.open("notify", "notify", !(n == Notify{}))) return;
  if (n.email) {
    const Email& e = *n.email;
    const Email d;
    p.open("notify.email", "email", true);
    p.flow_list("notify.email.to", "to", e.to, [](const std::string& s) { return s; }, true);
    p.scalar("notify.email.from", "from", e.from);
    const std::string host = e.server_host.find(':') != std::string::npos ? "[" + e.server_host + "]" : e.server_host;
    p.scalar("notify.email.server", "server", host + ":" + std::to_string(e.server_port),
             e.server_host == d.server_host && e.server_port == d.server_port);
    p.duration("notify.email.timeout", "timeout", e.timeout, d.timeout);
    p.close();
  }
  if (p.wanted("notify.exec", n.exec.empty())) {
    p.begin("notify.exec", "exec", n.exec.empty(), YAML::BeginSeq);
    for (const auto& x : n.exec) p.out() << x;
    p.end(YAML::EndSeq);
  }
  p.close();
}

void print_sysctl(Printer& p, const std::vector<SysctlEntry>& s) {
  if (!p.wanted("sysctl", s.empty())) return;
  auto& o = p.out();
  p.begin("sysctl", "sysctl", s.empty(), YAML::BeginMap);
  for (const auto& e : s) {
    o << YAML::Key << e.key << YAML::Value << e.value;
    p.comment("sysctl." + e.key);
  }
  p.end(YAML::EndMap);
}

void print_instance(Printer& p, const VrrpInstance& v) {
  const VrrpInstance d;
  const std::string at = "vrrp.instances[" + v.name + "]";
  auto& o = p.out();
  o << YAML::BeginMap;
  o << YAML::Key << "name" << YAML::Value << v.name;
  if (!p.wanted(at + ".name", true)) {
    p.comment(at);
  } else {
    p.comment(at + ".name");
  }
  p.scalar(at + ".interface", "interface", v.interface);
  p.scalar(at + ".vrid", "vrid", v.vrid);
  p.scalar(at + ".version", "version", v.version, v.version == d.version);
  p.scalar(at + ".priority", "priority", v.priority, v.priority == d.priority);
  p.duration(at + ".advert_interval", "advert_interval", v.advert_interval, d.advert_interval);
  p.scalar(at + ".preempt", "preempt", v.preempt, v.preempt == d.preempt);
  p.duration(at + ".preempt_delay", "preempt_delay", v.preempt_delay, d.preempt_delay);
  auto prefix = [](const IpPrefix& x) { return x.to_string(); };
  p.flow_list(at + ".virtual_addresses", "virtual_addresses", v.virtual_addresses, prefix, true);
  p.flow_list(at + ".excluded_addresses", "excluded_addresses", v.excluded_addresses, prefix);
  p.flow_list(at + ".unicast_peers", "unicast_peers", v.unicast_peers, [](const IpAddress& a) { return a.to_string(); });
  p.scalar(at + ".accept_mode", "accept_mode", v.accept_mode, v.accept_mode == d.accept_mode);
  if (!v.auth_pass.empty()) p.quoted(at + ".auth_pass", "auth_pass", v.auth_pass);
  if (p.wanted(at + ".garp", v.garp == d.garp)) {
    o << YAML::Key << "garp" << YAML::Value << YAML::Flow << YAML::BeginMap;
    o << YAML::Key << "delay" << YAML::Value << format_duration(v.garp.delay);
    o << YAML::Key << "repeat" << YAML::Value << v.garp.repeat;
    o << YAML::Key << "refresh" << YAML::Value << format_duration(v.garp.refresh);
    o << YAML::EndMap;
    p.comment(at + ".garp");
  }
  if (p.wanted(at + ".track", v.track.empty())) {
    p.begin(at + ".track", "track", v.track.empty(), YAML::BeginSeq);
    for (const auto& t : v.track) {
      o << YAML::Flow << YAML::BeginMap;
      o << YAML::Key << (t.kind == Track::Kind::tunnel ? "tunnel" : "interface") << YAML::Value << t.name;
      if (t.weight) o << YAML::Key << "weight" << YAML::Value << *t.weight;
      o << YAML::EndMap;
    }
    p.end(YAML::EndSeq);
  }
  o << YAML::EndMap;
}

void print_vrrp(Printer& p, const Vrrp& v) {
  auto& o = p.out();
  o << YAML::Key << "vrrp";
  p.comment("vrrp");
  o << YAML::Value << YAML::BeginMap;
  o << YAML::Key << "instances" << YAML::Value << (v.instances.empty() ? YAML::Flow : YAML::Block)
    << YAML::BeginSeq;
  for (const auto& i : v.instances) print_instance(p, i);
  o << YAML::EndSeq;
  if (p.wanted("vrrp.sync_groups", v.sync_groups.empty())) {
    p.begin("vrrp.sync_groups", "sync_groups", v.sync_groups.empty(), YAML::BeginSeq);
    for (const auto& g : v.sync_groups) {
      o << YAML::BeginMap << YAML::Key << "name" << YAML::Value << g.name;
      p.comment("vrrp.sync_groups[" + g.name + "]");
      o << YAML::Key << "instances" << YAML::Value << YAML::Flow << g.instances << YAML::EndMap;
    }
    p.end(YAML::EndSeq);
  }
  o << YAML::EndMap;
}

void print_options(Printer& p, const std::string& at, const DhcpOptions& x) {
  if (!p.open(at, "options", !(x == DhcpOptions{}))) return;
  auto v4 = [](const Ipv4Address& a) { return a.to_string(); };
  p.flow_list(at + ".routers", "routers", x.routers, v4);
  p.flow_list(at + ".domain_name_servers", "domain_name_servers", x.domain_name_servers, v4);
  if (!x.domain_name.empty()) p.scalar(at + ".domain_name", "domain_name", x.domain_name);
  if (x.broadcast_address) p.scalar(at + ".broadcast_address", "broadcast_address", x.broadcast_address->to_string());
  p.flow_list(at + ".ntp_servers", "ntp_servers", x.ntp_servers, v4);
  if (x.interface_mtu) p.scalar(at + ".interface_mtu", "interface_mtu", *x.interface_mtu);
  auto& o = p.out();
  if (p.wanted(at + ".classless_static_routes", x.classless_static_routes.empty())) {
    o << YAML::Key << "classless_static_routes" << YAML::Value
      << (x.classless_static_routes.empty() ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& r : x.classless_static_routes) {
      o << YAML::Flow << YAML::BeginMap << YAML::Key << "destination" << YAML::Value << r.destination.to_string()
        << YAML::Key << "gateway" << YAML::Value << r.gateway.to_string() << YAML::EndMap;
    }
    o << YAML::EndSeq;
    p.comment(at + ".classless_static_routes");
  }
  if (p.wanted(at + ".custom", x.custom.empty())) {
    o << YAML::Key << "custom" << YAML::Value << (x.custom.empty() ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
    for (const auto& c : x.custom) {
      o << YAML::Flow << YAML::BeginMap << YAML::Key << "code" << YAML::Value << c.code << YAML::Key << "hex"
        << YAML::Value << YAML::DoubleQuoted << hex_bytes(c.data) << YAML::EndMap;
    }
    o << YAML::EndSeq;
    p.comment(at + ".custom");
  }
  p.close();
}

void print_subnet(Printer& p, const DhcpSubnet& s) {
  const DhcpSubnet d;
  const std::string at = "dhcp.subnets[" + s.subnet.to_string() + "]";
  auto& o = p.out();
  o << YAML::BeginMap;
  p.scalar(at + ".interface", "interface", s.interface);
  p.scalar(at + ".subnet", "subnet", s.subnet.to_string());
  p.flow_list(at + ".pools", "pools", s.pools, [](const Pool& x) { return x.range.to_string(); });
  p.duration(at + ".lease_time", "lease_time", s.lease_time, d.lease_time);
  p.duration(at + ".max_lease_time", "max_lease_time", s.max_lease_time, d.max_lease_time);
  if (s.renew_time) p.scalar(at + ".renew_time", "renew_time", format_duration(*s.renew_time));
  if (s.rebind_time) p.scalar(at + ".rebind_time", "rebind_time", format_duration(*s.rebind_time));
  p.scalar(at + ".conflict_check", "conflict_check", std::string(to_string(s.conflict_check)),
           s.conflict_check == d.conflict_check);
  if (s.server_identifier) p.scalar(at + ".server_identifier", "server_identifier", s.server_identifier->to_string());
  p.flow_list(at + ".relays", "relays", s.relays, [](const Ipv4Address& a) { return a.to_string(); });
  print_options(p, at + ".options", s.options);
  if (p.wanted(at + ".reservations", s.reservations.empty())) {
    p.begin(at + ".reservations", "reservations", s.reservations.empty(), YAML::BeginSeq);
    for (const auto& r : s.reservations) {
      o << YAML::Flow << YAML::BeginMap;
      if (r.hw_address) {
        o << YAML::Key << "hw_address" << YAML::Value << YAML::DoubleQuoted << r.hw_address->to_string();
      } else {
        o << YAML::Key << "client_id" << YAML::Value << YAML::DoubleQuoted << hex_bytes(r.client_id);
      }
      o << YAML::Key << "address" << YAML::Value << r.address.to_string();
      if (!r.hostname.empty()) o << YAML::Key << "hostname" << YAML::Value << r.hostname;
      o << YAML::EndMap;
    }
    p.end(YAML::EndSeq);
  }
  o << YAML::EndMap;
}

void print_dhcp(Printer& p, const Dhcp& x) {
  const Dhcp d;
  auto& o = p.out();
  o << YAML::Key << "dhcp";
  p.comment("dhcp");
  o << YAML::Value << YAML::BeginMap;
  p.scalar("dhcp.lease_file", "lease_file", x.lease_file, x.lease_file == d.lease_file);
  o << YAML::Key << "subnets" << YAML::Value << (x.subnets.empty() ? YAML::Flow : YAML::Block) << YAML::BeginSeq;
  for (const auto& s : x.subnets) print_subnet(p, s);
  o << YAML::EndSeq;
  o << YAML::EndMap;
}

// type: mape's keys (conf/parse_mape.cc).
void print_mape(Printer& p, const std::string& at, const Mape& m) {
  auto& o = p.out();
  p.scalar(at + ".br", "br", m.br.to_string());
  p.scalar(at + ".interface_id", "interface_id", std::string(tunnel::to_string(m.interface_id)),
           m.interface_id == tunnel::InterfaceIdForm::rfc7597);
  p.scalar(at + ".prefix", "prefix", m.prefix ? m.prefix->to_string() : std::string("auto"), !m.prefix);
  p.begin(at + ".rules", "rules", m.rules.empty(), YAML::BeginSeq);
  for (const auto& r : m.rules) {
    o << YAML::Flow << YAML::BeginMap << YAML::Key << "ipv6_prefix" << YAML::Value << r.ipv6_prefix.to_string()
      << YAML::Key << "ipv4_prefix" << YAML::Value << r.ipv4_prefix.to_string() << YAML::Key << "ea_length"
      << YAML::Value << r.ea_length;
    if (p.all() || r.psid_offset != 6) o << YAML::Key << "psid_offset" << YAML::Value << r.psid_offset;
    o << YAML::EndMap;
  }
  p.end(YAML::EndSeq);
  if (!m.vrrp_instance.empty()) p.scalar(at + ".vrrp_instance", "vrrp_instance", m.vrrp_instance);
}

void print_tunnel(Printer& p, const Tunnel& t) {
  const Tunnel d;
  const std::string at = "tunnels[" + t.name + "]";
  auto& o = p.out();
  o << YAML::BeginMap;
  o << YAML::Key << "name" << YAML::Value << t.name;
  p.comment(at);
  p.scalar(at + ".type", "type", t.type, t.type == d.type);
  p.scalar(at + ".wan_interface", "wan_interface", t.wan_interface);
  const std::string end = t.ipip ? "remote" : "aftr";
  if (t.mape) {
    print_mape(p, at, *t.mape);
  } else if (!t.aftr_name.empty()) {
    p.scalar(at + "." + end, end, t.aftr_name);
  } else {
    p.flow_list(at + "." + end, end, t.aftr_addresses, [](const Ipv6Address& a) { return a.to_string(); }, true);
  }
  if (!t.mape) {
    p.flow_list(at + ".resolver", "resolver", t.resolver, [](const IpAddress& a) { return a.to_string(); });
    p.scalar(at + ".local", "local", t.local ? t.local->to_string() : std::string("auto"), !t.local);
  }
  p.scalar(at + ".mtu", "mtu", t.mtu, t.mtu == d.mtu);
  p.scalar(at + ".encap_limit", "encap_limit", t.encap_limit ? std::to_string(*t.encap_limit) : std::string("none"),
           !t.encap_limit);
  if (const auto& x = t.ipip) {
    const auto a = t.ipv4_address ? t.ipv4_address->address() : x->block.address();
    p.scalar(at + ".ipv4_address", "ipv4_address", x->block.length() == 32 ? a.to_string() : IpPrefix(a, x->block.length()).to_string());
    if (x->interface_id) p.scalar(at + ".interface_id", "interface_id", x->interface_id->to_string());
    p.scalar(at + ".snat", "snat", std::string(std::array{"auto", "true", "false"}[static_cast<int>(x->snat)]),
             x->snat == Snat::automatic);
    if (!x->update_url.empty()) p.scalar(at + ".update_url", "update_url", x->update_url);
    if (!x->update_credentials.empty()) p.scalar(at + ".update_credentials", "update_credentials", x->update_credentials);
  } else if (!t.mape) {
    p.scalar(at + ".ipv4_address", "ipv4_address", t.ipv4_address ? t.ipv4_address->to_string() : std::string("none"),
             t.ipv4_address == d.ipv4_address);
  }
  p.scalar(at + ".default_route", "default_route", t.default_route, t.default_route == d.default_route);
  const Health& h = t.health;
  const bool default_health = h.interval == d.health.interval && h.timeout == h.interval &&
                              h.targets.empty() && h.down_after == d.health.down_after &&
                              h.up_after == d.health.up_after;
  if (p.open(at + ".health", "health", !default_health)) {
    p.duration(at + ".health.interval", "interval", h.interval, d.health.interval);
    p.duration(at + ".health.timeout", "timeout", h.timeout, h.interval);
    p.flow_list(at + ".health.targets", "targets", h.targets, [](const Ipv4Address& a) { return a.to_string(); });
    p.scalar(at + ".health.down_after", "down_after", h.down_after, h.down_after == d.health.down_after);
    p.scalar(at + ".health.up_after", "up_after", h.up_after, h.up_after == d.health.up_after);
    p.close();
  }
  o << YAML::EndMap;
}

void print_rules(Printer& p, const std::string& at, std::string_view key, const std::vector<FirewallRule>& rules) {
  if (!p.wanted(at, rules.empty())) return;
  auto& o = p.out();
  p.begin(at, key, rules.empty(), YAML::BeginSeq);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& r = rules[i];
    o << YAML::Flow << YAML::BeginMap;
    if (r.from) o << YAML::Key << "from" << YAML::Value << r.from->to_string();
    if (p.all() || r.proto != Proto::any) o << YAML::Key << "proto" << YAML::Value << std::string(to_string(r.proto));
    if (r.sport) o << YAML::Key << "sport" << YAML::Value << *r.sport;
    if (r.dport) o << YAML::Key << "dport" << YAML::Value << *r.dport;
    // The long form names the family a rule is restricted to, also when
    // from or proto imply it, so that equal rules print alike.
    const auto family = p.all() ? effective_family(r) : r.family;
    if (family) o << YAML::Key << "family" << YAML::Value << (*family == Family::ipv4 ? "ipv4" : "ipv6");
    o << YAML::EndMap;
    p.comment(at + "[" + std::to_string(i) + "]");
  }
  p.end(YAML::EndSeq);
}

void print_firewall(Printer& p, const Firewall& f) {
  const Firewall d;
  auto& o = p.out();
  o << YAML::Key << "firewall";
  p.comment("firewall");
  o << YAML::Value << YAML::BeginMap;
  p.scalar("firewall.enabled", "enabled", f.enabled, f.enabled == d.enabled);
  p.scalar("firewall.table", "table", f.table, f.table == d.table);
  p.flow_list("firewall.wan_interfaces", "wan_interfaces", f.wan_interfaces, [](const std::string& s) { return s; },
              true);
  p.scalar("firewall.mss_clamp", "mss_clamp", f.mss_clamp, f.mss_clamp == d.mss_clamp);
  p.scalar("firewall.log_drops", "log_drops", f.log_drops, f.log_drops == d.log_drops);
  print_rules(p, "firewall.input", "input", f.input);
  print_rules(p, "firewall.forward", "forward", f.forward);
  p.scalar("firewall.state_sync", "state_sync", f.state_sync, f.state_sync == d.state_sync);
  p.scalar("firewall.state_sync_max_entries", "state_sync_max_entries", f.state_sync_max_entries,
           f.state_sync_max_entries == d.state_sync_max_entries);
  if (!f.state_sync_instance.empty()) {
    p.scalar("firewall.state_sync_instance", "state_sync_instance", f.state_sync_instance);
  }
  o << YAML::EndMap;
}

void print_peer(Printer& p, const Peer& x) {
  const Peer d;
  auto& o = p.out();
  o << YAML::Key << "peer";
  p.comment("peer");
  o << YAML::Value << YAML::BeginMap;
  p.scalar("peer.address", "address", x.address.to_string());
  if (x.local) p.scalar("peer.local", "local", x.local->to_string());
  p.scalar("peer.port", "port", x.port, x.port == d.port);
  p.scalar("peer.key_file", "key_file", x.key_file);
  o << YAML::EndMap;
}

// `allow` only when set: its default is computed from `listen`.
void print_http(Printer& p, const Http& h) {
  auto& o = p.out();
  o << YAML::Key << "http";
  p.comment("http");
  o << YAML::Value << YAML::BeginMap;
  p.flow_list("http.listen", "listen", h.listen, [](const HttpListen& l) { return l.to_string(); }, true);
  if (!h.allow.empty()) {
    p.flow_list("http.allow", "allow", h.allow, [](const IpPrefix& a) { return a.to_string(); });
  }
  o << YAML::EndMap;
}

}  // namespace

std::string print(const Config& c, const PrintOptions& options) {
  Printer p(options);
  auto& o = p.out();
  if (!options.header.empty()) o << YAML::Comment(options.header);
  o << YAML::BeginMap;
  p.scalar("node", "node", c.node);
  print_control(p, c.control);
  print_logging(p, c.logging);
  print_notify(p, c.notify);
  print_sysctl(p, c.sysctl);
  if (c.vrrp) print_vrrp(p, *c.vrrp);
  if (c.dhcp) print_dhcp(p, *c.dhcp);
  if (p.wanted("tunnels", c.tunnels.empty())) {
    p.begin("tunnels", "tunnels", c.tunnels.empty(), YAML::BeginSeq);
    for (const auto& t : c.tunnels) print_tunnel(p, t);
    p.end(YAML::EndSeq);
  }
  if (c.firewall) print_firewall(p, *c.firewall);
  if (c.peer) print_peer(p, *c.peer);
  if (c.http) print_http(p, *c.http);
  o << YAML::EndMap;
  return p.text();
}

}  // namespace pairgate::conf
