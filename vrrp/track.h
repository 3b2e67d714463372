// What VRRP tracks besides interfaces: tunnel health, published by the
// tunnel module (tunnel/) and consumed by vrrp/service.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace pairgate::vrrp {

enum class TunnelHealth { up, degraded, down };

class TunnelHealthSource {
 public:
  using Listener = std::function<void(const std::string& tunnel, TunnelHealth health, const std::string& reason)>;
  virtual ~TunnelHealthSource() = default;
  // nullopt: the tunnel is not managed (yet); tracking treats it as up.
  virtual std::optional<TunnelHealth> health(const std::string& tunnel) const = 0;
  // Called at once on every change of any tunnel.
  virtual void subscribe(Listener listener) = 0;
};

// A tracked item's contribution: with a weight, a DOWN item adds the weight
// to the priority (DEGRADED counts as up); without one, DOWN means FAULT.
struct TrackOutcome {
  int delta = 0;
  bool fault = false;
  std::string reason;  // of the fault, or of the last weight applied
};

}  // namespace pairgate::vrrp
