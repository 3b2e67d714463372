#include "tunnel/service.h"

#include <nlohmann/json.hpp>

namespace pairgate::tunnel {

void Service::start(const conf::Config& config) { config_ = config.tunnels; }

void Service::reload(const conf::Config& config, const conf::ConfigDiff&) { config_ = config.tunnels; }

void Service::stop(std::function<void()> done) { done(); }

void Service::status(nlohmann::json& out) const {
  auto list = nlohmann::json::array();
  for (const auto& t : config_) {
    std::string remote = !t.aftr_name.empty() ? t.aftr_name
                         : t.aftr_addresses.empty() ? "" : t.aftr_addresses.front().to_string();
    list.push_back({{"name", t.name},
                    {"state", "DOWN"},
                    {"reason", "tunnel manager not built yet"},
                    {"wan_interface", t.wan_interface},
                    {"local", t.local ? t.local->to_string() : "auto"},
                    {"remote", remote},
                    {"health", {{"last_rtt_ms", nullptr}, {"failures", 0}}}});
  }
  out["tunnels"] = std::move(list);
}

}  // namespace pairgate::tunnel
