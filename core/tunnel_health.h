// Tunnel health as a plain fact: the tunnel module produces it, VRRP tracking
// consumes it, and neither includes the other; app/daemon.cc binds the two.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace pairgate {

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

}  // namespace pairgate
