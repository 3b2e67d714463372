#include "core/vrrp_transition.h"

#include <chrono>

namespace pairgate {

std::optional<VrrpTransition> vrrp_transition(const Event& e) {
  if (e.kind != "vrrp") return std::nullopt;
  auto to = e.data.find("to");
  if (to == e.data.end() || !to->is_string()) return std::nullopt;
  VrrpTransition t{e.subject, to->get<std::string>(), std::nullopt};
  if (auto ms = e.data.find("monotonic_ms"); ms != e.data.end() && ms->is_number()) {
    t.at = SteadyTime(std::chrono::duration_cast<SteadyTime::duration>(
        std::chrono::duration<double, std::milli>(ms->get<double>())));
  }
  return t;
}

std::optional<VrrpTransition> last_vrrp_transition(const EventBus& bus, const std::string& instance) {
  const auto backlog = bus.since(0);
  for (auto it = backlog.events.rbegin(); it != backlog.events.rend(); ++it) {
    if (it->subject != instance) continue;
    if (auto t = vrrp_transition(*it)) return t;
  }
  return std::nullopt;
}

}  // namespace pairgate
