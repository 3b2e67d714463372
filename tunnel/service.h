// The IPoE tunnel module as the daemon sees it. The ip6tnl manager and its
// health probes arrive with the tunnel issue; until then each tunnel is
// reported DOWN and no link or route is touched.
#pragma once

#include "conf/config.h"
#include "core/module.h"

namespace pairgate::tunnel {

class Service final : public Module {
 public:
  explicit Service(ModuleContext ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "tunnel"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

 private:
  ModuleContext ctx_;
  std::vector<conf::Tunnel> config_;
};

}  // namespace pairgate::tunnel
