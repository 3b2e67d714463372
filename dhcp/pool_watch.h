// Tells the event stream when a subnet's pools run full and when they have
// room again: "dhcp: pool 198.51.100.0/24 full (50 of 50 addresses in use)".
//
// A full pool meets every client's retransmissions, so the check behind an
// exhausted DISCOVER (one walk of the leases) runs at most once per
// kMinInterval, and an event comes only when a subnet changes between full
// and not full.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/clock.h"

namespace pairgate {
class EventBus;
}

namespace pairgate::dhcp {

class PoolWatch {
 public:
  static constexpr std::chrono::seconds kMinInterval{5};

  struct SubnetUse {
    std::string subnet;
    std::uint64_t used = 0;
    std::uint64_t size = 0;
  };
  using Usage = std::function<std::vector<SubnetUse>()>;

  explicit PoolWatch(EventBus& bus) : bus_(bus) {}

  // A DISCOVER found no free address.
  void exhausted(SteadyTime now, const Usage& usage);
  // Periodically (the reclaim tick): subnets that were full and have room.
  void tick(const Usage& usage);
  // A reload may remove subnets: forget them.
  void forget() { full_.clear(); }

  bool full(const std::string& subnet) const { return full_.contains(subnet); }

 private:
  void look(const std::vector<SubnetUse>& use);

  EventBus& bus_;
  std::set<std::string> full_;
  std::optional<SteadyTime> last_look_;
};

}  // namespace pairgate::dhcp
