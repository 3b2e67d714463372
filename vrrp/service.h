// The VRRP module as the daemon sees it. The RFC 3768 engine arrives with
// the VRRP issue; until then every instance is reported in INIT and no
// address is touched.
#pragma once

#include "conf/config.h"
#include "core/module.h"

namespace pairgate::vrrp {

class Service final : public Module {
 public:
  explicit Service(ModuleContext ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "vrrp"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

 private:
  ModuleContext ctx_;
  conf::Vrrp config_;
};

}  // namespace pairgate::vrrp
