#include "conf/config.h"

#include <algorithm>

namespace pairgate::conf {

const Tunnel* Config::find_tunnel(std::string_view name) const {
  auto it = std::find_if(tunnels.begin(), tunnels.end(), [&](const Tunnel& t) { return t.name == name; });
  return it == tunnels.end() ? nullptr : &*it;
}

const VrrpInstance* Config::find_instance(std::string_view name) const {
  if (!vrrp) return nullptr;
  auto& v = vrrp->instances;
  auto it = std::find_if(v.begin(), v.end(), [&](const VrrpInstance& i) { return i.name == name; });
  return it == v.end() ? nullptr : &*it;
}

std::string HttpListen::to_string() const {
  const std::string a = address.to_string();
  return (address.is_v4() ? a : "[" + a + "]") + ":" + std::to_string(port);
}

std::vector<IpPrefix> Http::effective_allow() const {
  if (!allow.empty()) return allow;
  std::vector<IpPrefix> out;
  auto add = [&](const IpPrefix& p) {
    if (std::find(out.begin(), out.end(), p) == out.end()) out.push_back(p);
  };
  for (const auto& l : listen) {
    if (l.address == IpAddress(Ipv4Address()) || l.address == IpAddress(Ipv6Address())) {
      add(*IpPrefix::parse("127.0.0.0/8"));
      add(*IpPrefix::parse("::1/128"));
    } else {
      add(IpPrefix(l.address, l.address.is_v4() ? 32 : 128));
    }
  }
  return out;
}

std::string_view to_string(LogLevel l) {
  constexpr std::string_view names[] = {"trace", "debug", "info", "warn", "error"};
  return names[static_cast<int>(l)];
}

std::string_view to_string(LogTarget t) {
  constexpr std::string_view names[] = {"auto", "stderr", "journald"};
  return names[static_cast<int>(t)];
}

std::string_view to_string(Proto p) {
  constexpr std::string_view names[] = {"any", "icmp", "ipv6-icmp", "vrrp", "ipip", "tcp", "udp"};
  return names[static_cast<int>(p)];
}

std::string_view to_string(ConflictCheck c) {
  constexpr std::string_view names[] = {"arp", "icmp", "none", "auto"};
  return names[static_cast<int>(c)];
}

}  // namespace pairgate::conf
