// A VRRP transition as other modules read it from the event bus (the VRRP
// service publishes kind "vrrp", subject the instance, data {"from", "to",
// "monotonic_ms"}): the tunnel's shared B4 address and the firewall's state
// sync follow an instance this way, without a seam into vrrp/.
#pragma once

#include <optional>
#include <string>

#include "core/clock.h"
#include "core/events.h"

namespace pairgate {

struct VrrpTransition {
  std::string instance;
  std::string to;                  // "MASTER", "BACKUP", "FAULT", ...
  std::optional<SteadyTime> at;    // when it happened on the steady clock, if the event says
  bool master() const { return to == "MASTER"; }
};

// The transition an event carries; nullopt for any other event.
std::optional<VrrpTransition> vrrp_transition(const Event& e);

// The last transition of `instance` the bus's history still holds (a module
// that starts after the instance moved).
std::optional<VrrpTransition> last_vrrp_transition(const EventBus& bus, const std::string& instance);

}  // namespace pairgate
