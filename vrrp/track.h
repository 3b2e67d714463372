// The tracking arithmetic: how tracked interfaces and tunnels (whose health
// comes from core/tunnel_health.h) move an instance's priority or put it in FAULT.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace pairgate::vrrp {

// One tracked item as seen now: an interface, a tunnel, or the instance's
// own interface (never weighted).
struct TrackItem {
  std::optional<int> weight;  // none: down => FAULT
  bool down = false;          // a DEGRADED tunnel counts as up
  std::string what;           // "interface enp3s0 down", "tunnel ip6tnl1 DOWN"
};

struct TrackOutcome {
  int delta = 0;       // negative weights of items down plus positive weights of items up
  bool fault = false;  // an unweighted item is down
  std::string reason;  // the first unweighted item that is down
};

// The tracking arithmetic, as keepalived's: a negative weight counts while
// its item is down, a positive one while it is up; any unweighted item down
// faults.
TrackOutcome evaluate(const std::vector<TrackItem>& items);

}  // namespace pairgate::vrrp
