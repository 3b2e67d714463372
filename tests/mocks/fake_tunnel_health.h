// A TunnelHealthSource the test sets by hand.
#pragma once

#include <map>
#include <vector>

#include "core/tunnel_health.h"

namespace pairgate::testing {

class FakeTunnelHealth : public TunnelHealthSource {
 public:
  std::optional<TunnelHealth> health(const std::string& tunnel) const override {
    auto it = state_.find(tunnel);
    if (it == state_.end()) return std::nullopt;
    return it->second;
  }
  void subscribe(Listener l) override { listeners_.push_back(std::move(l)); }
  void set(const std::string& tunnel, TunnelHealth h, const std::string& reason) {
    state_[tunnel] = h;
    for (auto& l : listeners_) l(tunnel, h, reason);
  }

 private:
  std::map<std::string, TunnelHealth> state_;
  std::vector<Listener> listeners_;
};

}  // namespace pairgate::testing
