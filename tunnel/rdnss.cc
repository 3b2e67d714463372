#include "tunnel/rdnss.h"

#include <algorithm>

namespace pairgate::tunnel {

void RdnssTable::expire(std::vector<Learned>& list, TimePoint now) {
  expired_ += std::erase_if(list, [&](const Learned& l) { return l.expires <= now; });
}

bool RdnssTable::update(int ifindex, const std::vector<RdnssOption>& options, TimePoint now) {
  auto it = table_.find(ifindex);
  if (it == table_.end()) {
    const bool adds = std::any_of(options.begin(), options.end(),
                                  [](const RdnssOption& o) { return o.lifetime.count() != 0 && !o.servers.empty(); });
    if (!adds) return false;
    // Interfaces whose servers have all expired make room first.
    for (auto i = table_.begin(); i != table_.end();) {
      expire(i->second, now);
      i = i->second.empty() ? table_.erase(i) : std::next(i);
    }
    if (table_.size() >= kInterfaces) {
      for (const auto& o : options) dropped_ += o.servers.size();
      return false;
    }
    it = table_.emplace(ifindex, std::vector<Learned>{}).first;
  }
  auto& list = it->second;
  expire(list, now);
  // This advert's servers in its order (its preference), ahead of the older ones.
  std::vector<Learned> fresh;
  for (const auto& o : options) {
    for (const auto& s : o.servers) {
      std::erase_if(list, [&](const Learned& l) { return l.server == s; });
      std::erase_if(fresh, [&](const Learned& l) { return l.server == s; });
      if (o.lifetime.count() == 0) continue;  // RFC 8106 §5.1: 0 withdraws
      const std::chrono::seconds lifetime =
          o.lifetime.count() == 0xffffffff ? std::chrono::duration_cast<std::chrono::seconds>(kInfinity) : o.lifetime;
      fresh.push_back({s, now, now + lifetime});
    }
  }
  const bool added = !fresh.empty();
  list.insert(list.begin(), fresh.begin(), fresh.end());
  if (list.size() > kPerInterface) {
    dropped_ += list.size() - kPerInterface;  // those heard from least recently
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(kPerInterface), list.end());
  }
  if (list.empty()) table_.erase(it);
  return added;
}

std::vector<Ipv6Address> RdnssTable::servers(int ifindex, TimePoint now) const {
  std::vector<Ipv6Address> out;
  auto it = table_.find(ifindex);
  if (it == table_.end()) return out;
  for (const auto& l : it->second) {
    if (l.expires > now) out.push_back(l.server);
  }
  return out;
}

}  // namespace pairgate::tunnel
