#include "firewall/service.h"

#include <nlohmann/json.hpp>

namespace pairgate::firewall {

void Service::start(const conf::Config& config) { config_ = config.firewall; }

void Service::reload(const conf::Config& config, const conf::ConfigDiff&) { config_ = config.firewall; }

void Service::stop(std::function<void()> done) { done(); }

void Service::status(nlohmann::json& out) const {
  if (!config_) {
    out["firewall"] = nullptr;
    return;
  }
  out["firewall"] = {{"applied", false}, {"enabled", config_->enabled}, {"table", config_->table}};
}

}  // namespace pairgate::firewall
