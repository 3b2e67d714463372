#include "import/assemble.h"

#include <algorithm>
#include <set>

#include "conf/limits.h"

namespace pairgate::import {

std::string format(const Warning& w) {
  return w.file + (w.line > 0 ? ":" + std::to_string(w.line) : std::string()) + ": warning: " + w.message;
}

namespace {

void take(Assembled& a, Partial& p) {
  for (auto& w : p.warnings) a.warnings.push_back(std::move(w));
  for (auto& [path, text] : p.comments) a.print.comments[path] = text;
}

// Interfaces with an address inside `subnet`.
std::vector<std::string> on_subnet(const std::map<std::string, std::vector<IpPrefix>>& addresses,
                                   const IpPrefix& subnet) {
  std::vector<std::string> out;
  for (const auto& [name, list] : addresses) {
    for (const auto& a : list) {
      if (a.address().is_v4() && subnet.contains(a.address())) {
        out.push_back(name);
        break;
      }
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
  return out;
}

void place_subnets(Assembled& a, const Parts& parts, const std::vector<std::string>& dhcp_interfaces,
                   const std::string& dhcpd_file) {
  std::map<std::string, std::vector<IpPrefix>> netplan;
  for (const auto& p : parts.netplan) {
    for (const auto& [name, list] : p.interface_addresses) {
      auto& into = netplan[name];
      into.insert(into.end(), list.begin(), list.end());
    }
  }
  auto restrict = [&](std::vector<std::string> v) {
    if (dhcp_interfaces.empty()) return v;
    std::erase_if(v, [&](const std::string& n) {
      return std::find(dhcp_interfaces.begin(), dhcp_interfaces.end(), n) == dhcp_interfaces.end();
    });
    return v;
  };
  for (auto& s : a.config.dhcp->subnets) {
    const std::string at = "dhcp.subnets[" + s.subnet.to_string() + "].interface";
    std::string how;
    auto found = restrict(on_subnet(netplan, s.subnet));
    if (found.size() == 1) {
      how = "netplan gives " + found.front() + " an address on this subnet";
    } else if (found.empty()) {
      found = restrict(on_subnet(parts.live_addresses, s.subnet));
      if (found.size() == 1) how = found.front() + " has an address on this subnet";
    }
    if (found.empty() && a.config.vrrp) {
      for (const auto& v : a.config.vrrp->instances) {
        for (const auto& vip : v.virtual_addresses) {
          if (s.subnet.contains(vip.address()) &&
              std::find(found.begin(), found.end(), v.interface) == found.end()) {
            found.push_back(v.interface);
          }
        }
      }
      found = restrict(found);
      if (found.size() == 1) how = "the VRRP instance whose virtual address is on this subnet runs on " + found.front();
    }
    if (found.empty() && dhcp_interfaces.size() == 1) {
      found = dhcp_interfaces;
      how = "INTERFACESv4 names only " + found.front();
    }
    if (found.size() == 1) {
      s.interface = found.front();
      a.print.comments[at] = how;
    } else {
      s.interface = std::string(kUnknownInterface);
      a.warnings.push_back({dhcpd_file, 0,
                            "subnet " + s.subnet.to_string() + ": " +
                                (found.empty() ? "no interface has an address on it"
                                               : "several interfaces could serve it (" + join(found) + ")") +
                                "; set dhcp.subnets[].interface in the output (it says " +
                                std::string(kUnknownInterface) + ")"});
      a.print.comments[at] = "set the interface that serves this subnet";
    }
  }
}

void merge_firewall(Assembled& a, Parts& parts) {
  conf::Firewall f;
  bool any = false, logged = false, clamp_seen = false;
  std::vector<std::string> input_notes, forward_notes;
  for (auto* p : {&parts.rules_v4, &parts.rules_v6}) {
    if (!*p) continue;
    clamp_seen = clamp_seen || (*p)->mss_clamp_seen;
    if (!(*p)->config.firewall) continue;
    any = true;
    const auto& pf = *(*p)->config.firewall;
    logged = logged || pf.log_drops;
    for (const auto& w : pf.wan_interfaces) {
      if (std::find(f.wan_interfaces.begin(), f.wan_interfaces.end(), w) == f.wan_interfaces.end()) {
        f.wan_interfaces.push_back(w);
      }
    }
    auto add = [](std::vector<conf::FirewallRule>& into, std::vector<std::string>& notes,
                  const std::vector<conf::FirewallRule>& rules, const std::vector<std::string>& from) {
      for (std::size_t i = 0; i < rules.size(); ++i) {
        // The same rule in rules.v4 and rules.v6 is one rule for both families.
        auto twin = std::find_if(into.begin(), into.end(), [&](const conf::FirewallRule& r) {
          return r.family && rules[i].family && *r.family != *rules[i].family && r.from == rules[i].from &&
                 r.proto == rules[i].proto && r.sport == rules[i].sport && r.dport == rules[i].dport;
        });
        if (twin != into.end()) {
          twin->family.reset();
          notes[twin - into.begin()] += "; " + (i < from.size() ? from[i] : std::string());
          continue;
        }
        into.push_back(rules[i]);
        notes.push_back(i < from.size() ? from[i] : std::string());
      }
    };
    add(f.input, input_notes, pf.input, (*p)->input_notes);
    add(f.forward, forward_notes, pf.forward, (*p)->forward_notes);
  }
  if (!any) return;
  f.log_drops = logged;
  for (std::size_t i = 0; i < input_notes.size(); ++i) {
    a.print.comments["firewall.input[" + std::to_string(i) + "]"] = input_notes[i];
  }
  for (std::size_t i = 0; i < forward_notes.size(); ++i) {
    a.print.comments["firewall.forward[" + std::to_string(i) + "]"] = forward_notes[i];
  }
  a.print.comments["firewall"] = "the WAN chains of iptables-persistent; other programs' rules are left to them";
  if (!clamp_seen) {
    a.print.comments["firewall.mss_clamp"] = "no TCPMSS rule was found; pairgate clamps to the tunnel's path MTU";
  }
  if (!logged) a.print.comments["firewall.log_drops"] = "the WAN chains logged nothing before their drop";
  a.config.firewall = std::move(f);
}

// Keeps a list within what the loader takes (conf/limits.h), so that the
// result passes --check; what is cut is one warning.
template <typename T>
void cap(Assembled& a, std::vector<T>& list, std::string_view what, const std::string& file) {
  const std::size_t max = conf::list_limit(what).max;
  if (list.size() <= max) return;
  a.warnings.push_back({file, 0, std::string(what) + ": " + std::to_string(list.size()) + " entries; pairgate takes " +
                                     std::to_string(max) + ", the rest are not carried over"});
  list.resize(max);
}

void cap_all(Assembled& a, const Parts& parts) {
  auto& c = a.config;
  if (c.vrrp) {
    cap(a, c.vrrp->instances, "vrrp.instances", "keepalived.conf");
    cap(a, c.vrrp->sync_groups, "vrrp.sync_groups", "keepalived.conf");
    for (auto& v : c.vrrp->instances) {
      cap(a, v.virtual_addresses, "virtual_addresses", "keepalived.conf");
      cap(a, v.excluded_addresses, "excluded_addresses", "keepalived.conf");
      cap(a, v.track, "track", "keepalived.conf");
    }
    // A sync group may only name instances that were kept.
    for (auto& g : c.vrrp->sync_groups) {
      std::erase_if(g.instances, [&](const std::string& n) { return !c.find_instance(n); });
    }
    std::erase_if(c.vrrp->sync_groups, [](const conf::SyncGroup& g) { return g.instances.empty(); });
  }
  if (c.dhcp) {
    const std::string file = parts.dhcpd_file.empty() ? "dhcpd.conf" : parts.dhcpd_file;
    cap(a, c.dhcp->subnets, "dhcp.subnets", file);
    for (auto& s : c.dhcp->subnets) {
      cap(a, s.pools, "pools", file);
      cap(a, s.reservations, "reservations", file);
      cap(a, s.options.routers, "routers", file);
      cap(a, s.options.domain_name_servers, "domain_name_servers", file);
      cap(a, s.options.ntp_servers, "ntp_servers", file);
    }
  }
  if (c.firewall) {
    cap(a, c.firewall->input, "firewall.input", "rules.v4/rules.v6");
    cap(a, c.firewall->forward, "firewall.forward", "rules.v4/rules.v6");
  }
  if (c.sysctl.size() > conf::kMaxSysctlKeys) {
    a.warnings.push_back({"sysctl", 0, std::to_string(c.sysctl.size()) + " keys; pairgate takes " +
                                           std::to_string(conf::kMaxSysctlKeys) + ", the rest are not carried over"});
    c.sysctl.resize(conf::kMaxSysctlKeys);
  }
}

}  // namespace

Assembled assemble(Parts parts) {
  Assembled a;
  a.print.defaults = false;
  a.print.header = parts.header;
  a.config.node = parts.node;
  std::vector<std::string> dhcp_interfaces;
  const std::string dhcpd_file = parts.dhcpd_file;
  if (parts.keepalived) {
    a.config.vrrp = parts.keepalived->config.vrrp;
    a.config.notify = parts.keepalived->config.notify;
    take(a, *parts.keepalived);
  }
  for (auto& p : parts.sysctl) {
    for (const auto& e : p.config.sysctl) {
      std::erase_if(a.config.sysctl, [&](const conf::SysctlEntry& o) { return o.key == e.key; });
      a.config.sysctl.push_back(e);
    }
    take(a, p);
  }
  if (parts.dhcpd_defaults) {
    dhcp_interfaces = parts.dhcpd_defaults->dhcp_interfaces;
    take(a, *parts.dhcpd_defaults);
  }
  if (parts.dhcpd) {
    a.config.dhcp = parts.dhcpd->config.dhcp;
    take(a, *parts.dhcpd);
  }
  if (parts.ipoe) {
    a.config.tunnels = parts.ipoe->config.tunnels;
    take(a, *parts.ipoe);
  }
  for (auto& p : parts.netplan) take(a, p);
  if (parts.rules_v4) take(a, *parts.rules_v4);
  if (parts.rules_v6) take(a, *parts.rules_v6);
  merge_firewall(a, parts);
  if (a.config.dhcp) place_subnets(a, parts, dhcp_interfaces, dhcpd_file.empty() ? "dhcpd.conf" : dhcpd_file);
  cap_all(a, parts);
  // The comments of sections that were not carried over would force them out.
  if (!a.config.firewall) {
    std::erase_if(a.print.comments, [](const auto& c) { return c.first.starts_with("firewall"); });
  }
  a.usable = a.config.vrrp || a.config.dhcp || !a.config.tunnels.empty() || a.config.firewall ||
             !a.config.sysctl.empty() || a.config.notify.email;
  return a;
}

}  // namespace pairgate::import
