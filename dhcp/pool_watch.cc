#include "dhcp/pool_watch.h"

#include <nlohmann/json.hpp>

#include "core/events.h"

namespace pairgate::dhcp {

void PoolWatch::exhausted(SteadyTime now, const Usage& usage) {
  if (last_look_ && now - *last_look_ < kMinInterval) return;
  last_look_ = now;
  look(usage());
}

void PoolWatch::tick(const Usage& usage) {
  if (full_.empty()) return;
  look(usage());
}

void PoolWatch::look(const std::vector<SubnetUse>& use) {
  for (const auto& s : use) {
    const bool is_full = s.size > 0 && s.used >= s.size;
    const std::string counts = std::to_string(s.used) + " of " + std::to_string(s.size) + " addresses in use";
    nlohmann::json data = {{"subnet", s.subnet}, {"used", s.used}, {"size", s.size}, {"full", is_full}};
    if (is_full && full_.insert(s.subnet).second) {
      bus_.publish("dhcp", s.subnet, "dhcp: pool " + s.subnet + " full (" + counts + ")", std::move(data));
    } else if (!is_full && full_.erase(s.subnet) > 0) {
      bus_.publish("dhcp", s.subnet, "dhcp: pool " + s.subnet + " has free addresses again (" + counts + ")",
                   std::move(data));
    }
  }
}

}  // namespace pairgate::dhcp
