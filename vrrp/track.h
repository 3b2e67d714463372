// What VRRP tracks besides interfaces: tunnel health, published by the
// tunnel module (tunnel/) and consumed by vrrp/service.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pairgate::vrrp {

enum class TunnelHealth { up, degraded, down };

class TunnelHealthSource {
 public:
  using Listener = std::function<void(const std::string& tunnel, TunnelHealth health, const std::string& reason)>;
  virtual ~TunnelHealthSource() = default;
  // nullopt: the tunnel is not managed (yet); tracking treats it as up.
  virtual std::optional<TunnelHealth> health(const std::string& tunnel) const = 0;
  // Called at once on every change of any tunnel; `reason` is the cause
  // alone ("3 probes to 203.0.113.1 lost"), VRRP logs "tunnel NAME DOWN: reason".
  virtual void subscribe(Listener listener) = 0;
};

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
