// The firewall module as the daemon sees it. Rendering and applying the
// nftables table arrive with the firewall issue; until then nothing is
// applied and status says so.
#pragma once

#include "conf/config.h"
#include "core/module.h"

namespace pairgate::firewall {

class Service final : public Module {
 public:
  explicit Service(ModuleContext ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "firewall"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

 private:
  ModuleContext ctx_;
  std::optional<conf::Firewall> config_;
};

}  // namespace pairgate::firewall
