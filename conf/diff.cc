#include "conf/diff.h"

#include <algorithm>

namespace pairgate::conf {

namespace {

// Items are matched by key; an item present in both with any field changed
// is "changed".
template <class T, class Key>
NamedChanges compare(const std::vector<T>& before, const std::vector<T>& after, Key key) {
  NamedChanges out;
  for (const auto& b : before) {
    auto it = std::find_if(after.begin(), after.end(), [&](const T& a) { return key(a) == key(b); });
    if (it == after.end()) {
      out.removed.push_back(key(b));
    } else if (!(*it == b)) {
      out.changed.push_back(key(b));
    }
  }
  for (const auto& a : after) {
    auto it = std::find_if(before.begin(), before.end(), [&](const T& b) { return key(a) == key(b); });
    if (it == before.end()) out.added.push_back(key(a));
  }
  return out;
}

void append(std::string& out, std::string_view section, const NamedChanges& c) {
  auto list = [&](std::string_view verb, const std::vector<std::string>& names) {
    if (names.empty()) return;
    if (!out.empty()) out += "; ";
    out += std::string(section) + " " + std::string(verb) + " [";
    for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : "") + names[i];
    out += "]";
  };
  list("added", c.added);
  list("removed", c.removed);
  list("changed", c.changed);
}

void flag(std::string& out, bool set, std::string_view what) {
  if (!set) return;
  if (!out.empty()) out += "; ";
  out += what;
}

}  // namespace

bool ConfigDiff::empty() const {
  return !node && !control && !logging && !notify && !sysctl && vrrp_instances.empty() && !sync_groups &&
         !lease_file && dhcp_subnets.empty() && tunnels.empty() && !firewall && !peer && !http;
}

std::string ConfigDiff::summary() const {
  std::string out;
  flag(out, node, "node");
  flag(out, control, "control");
  flag(out, logging, "logging");
  flag(out, notify, "notify");
  flag(out, sysctl, "sysctl");
  append(out, "vrrp", vrrp_instances);
  flag(out, sync_groups, "sync_groups");
  flag(out, lease_file, "dhcp lease_file");
  append(out, "dhcp", dhcp_subnets);
  append(out, "tunnels", tunnels);
  flag(out, firewall, "firewall");
  flag(out, peer, "peer");
  flag(out, http, "http");
  return out.empty() ? "no changes" : out;
}

ConfigDiff diff(const Config& before, const Config& after) {
  ConfigDiff d;
  d.node = before.node != after.node;
  d.control = !(before.control == after.control);
  d.logging = !(before.logging == after.logging);
  d.notify = !(before.notify == after.notify);
  d.sysctl = !(before.sysctl == after.sysctl);
  const Vrrp no_vrrp;
  const Vrrp& vb = before.vrrp ? *before.vrrp : no_vrrp;
  const Vrrp& va = after.vrrp ? *after.vrrp : no_vrrp;
  d.vrrp_instances = compare(vb.instances, va.instances, [](const VrrpInstance& i) { return i.name; });
  d.sync_groups = !(vb.sync_groups == va.sync_groups);
  const Dhcp no_dhcp;
  const Dhcp& db = before.dhcp ? *before.dhcp : no_dhcp;
  const Dhcp& da = after.dhcp ? *after.dhcp : no_dhcp;
  d.lease_file = (before.dhcp.has_value() != after.dhcp.has_value()) || db.lease_file != da.lease_file;
  d.dhcp_subnets = compare(db.subnets, da.subnets, [](const DhcpSubnet& s) { return s.subnet.to_string(); });
  d.tunnels = compare(before.tunnels, after.tunnels, [](const Tunnel& t) { return t.name; });
  d.firewall = !(before.firewall == after.firewall);
  d.peer = !(before.peer == after.peer);
  d.http = !(before.http == after.http);
  return d;
}

}  // namespace pairgate::conf
