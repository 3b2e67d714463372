// The DHCPv4 module as the daemon sees it. The RFC 2131 server and its lease
// store arrive with the DHCP issue; until then pools are reported, unused,
// and nothing is served.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include "conf/config.h"
#include "core/module.h"

namespace pairgate::dhcp {

class Service final : public Module {
 public:
  explicit Service(ModuleContext ctx) : ctx_(ctx) {}
  std::string_view name() const override { return "dhcp"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  // `pairgatectl leases`: an array of {address, hw_address, client_id, hostname, expires}.
  nlohmann::json leases() const;

 private:
  ModuleContext ctx_;
  conf::Dhcp config_;
};

}  // namespace pairgate::dhcp
