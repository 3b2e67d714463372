#include "conf/mape_check.h"

#include <cstdio>

namespace pairgate::conf {

void check_mape(Reader& r, const Config& c, const Tunnel& t) {
  const Mape& m = *t.mape;
  const std::string name = "tunnel " + t.name + ": ";
  // RFC 7597 §8: the CE performs NAT44 into its port sets; pairgate's NAT
  // lives in the firewall's table.
  if (!c.firewall || !c.firewall->enabled) {
    r.error(t.mark, name + "type mape needs an enabled firewall section: its NAT44 maps LAN flows into the CE's port sets");
  }
  if (!m.vrrp_instance.empty() && c.find_instance(m.vrrp_instance) == nullptr) {
    r.error(m.vrrp_instance_mark, name + "vrrp_instance '" + m.vrrp_instance + "' is not declared in vrrp.instances");
  }
  if (m.rules.empty()) return;  // the parser said so
  if (m.prefix) {
    if (auto res = tunnel::map(m.domain(), *m.prefix); !res) r.error(t.mark, name + res.error().message);
    return;
  }
  // prefix: auto: each rule must give a mapping for some /64 under it.
  for (std::size_t i = 0; i < m.rules.size(); ++i) {
    tunnel::MapDomain one{m.br, {m.rules[i]}, m.interface_id};
    const IpPrefix stand_in(m.rules[i].ipv6_prefix.address(), 64);
    if (auto res = tunnel::map(one, stand_in); !res) {
      auto msg = res.error().message;
      if (auto pos = msg.find("rule 1 "); pos == 0) msg.replace(0, 6, "rule " + std::to_string(i + 1));
      r.error(t.mark, name + msg);
    }
  }
}

std::string describe_mape(const Tunnel& t) {
  const Mape& m = *t.mape;
  if (!m.prefix) {
    return "tunnel " + t.name + ": MAP-E; the mapping is computed at run time from the /64 of " + t.wan_interface +
           "'s stable global address (prefix: auto)";
  }
  auto res = tunnel::map(m.domain(), *m.prefix);
  if (!res) return "tunnel " + t.name + ": " + res.error().message;
  char psid[16];
  std::snprintf(psid, sizeof psid, "0x%x", res->psid);
  const auto& sets = res->port_sets;
  const unsigned per_set = sets.empty() ? 0 : sets.front().last - sets.front().first + 1u;
  const std::string ce = res->ipv4.length() == 32 ? res->ipv4.address().to_string() : res->ipv4.to_string();
  return "tunnel " + t.name + ": rules[" + std::to_string(res->rule_index) + "], CE " + ce +
         ", PSID " + psid + " (k=" + std::to_string(res->psid_length) + "), " + std::to_string(sets.size()) +
         " port sets of " + std::to_string(per_set) + " ports, CE IPv6 " + res->ce_ipv6.to_string() + ", BR " +
         m.br.to_string();
}

}  // namespace pairgate::conf
