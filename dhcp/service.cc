#include "dhcp/service.h"

#include <nlohmann/json.hpp>

namespace pairgate::dhcp {

void Service::start(const conf::Config& config) { config_ = config.dhcp.value_or(conf::Dhcp{}); }

void Service::reload(const conf::Config& config, const conf::ConfigDiff&) { config_ = config.dhcp.value_or(conf::Dhcp{}); }

void Service::stop(std::function<void()> done) { done(); }

void Service::status(nlohmann::json& out) const {
  auto pools = nlohmann::json::array();
  for (const auto& s : config_.subnets) {
    for (const auto& p : s.pools) {
      pools.push_back({{"subnet", s.subnet.to_string()},
                       {"interface", s.interface},
                       {"range", p.range.to_string()},
                       {"size", p.range.size()},
                       {"used", 0}});
    }
  }
  out["dhcp"] = {{"serving", false}, {"leases_active", 0}, {"pools", pools}};
}

nlohmann::json Service::leases() const { return nlohmann::json::array(); }

}  // namespace pairgate::dhcp
