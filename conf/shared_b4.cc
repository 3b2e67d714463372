#include "conf/shared_b4.h"

#include <algorithm>

namespace pairgate::conf {

namespace {

bool carries(const std::vector<IpPrefix>& list, const Ipv6Address& a) {
  return std::any_of(list.begin(), list.end(), [&](const IpPrefix& p) {
    return p.family() == Family::ipv6 && p.address().v6() == a;
  });
}

std::optional<SharedB4> owner(const Config& c, const Tunnel& t, bool same_interface) {
  if (!t.local || !c.vrrp) return std::nullopt;
  for (const auto& in : c.vrrp->instances) {
    if ((in.interface == t.wan_interface) != same_interface) continue;
    if (carries(in.excluded_addresses, *t.local)) return SharedB4{in.name, "excluded_addresses"};
    if (in.version == 3 && carries(in.virtual_addresses, *t.local)) return SharedB4{in.name, "virtual_addresses"};
  }
  return std::nullopt;
}

}  // namespace

std::optional<SharedB4> shared_b4(const Config& c, const Tunnel& t) { return owner(c, t, true); }

std::optional<std::string> shared_b4_elsewhere(const Config& c, const Tunnel& t) {
  if (auto o = owner(c, t, false)) return o->instance;
  return std::nullopt;
}

std::string describe(const Tunnel& t, const SharedB4& s) {
  return "tunnel " + t.name + ": local " + t.local->to_string() + " is a shared B4 address, held by VRRP instance " +
         s.instance + " (" + s.list + " on " + t.wan_interface + ") while it is MASTER";
}

}  // namespace pairgate::conf
