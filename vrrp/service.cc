#include "vrrp/service.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "conf/diff.h"

namespace pairgate::vrrp {

void Service::start(const conf::Config& config) {
  config_ = config.vrrp.value_or(conf::Vrrp{});
  for (const auto& in : config_.instances) {
    spdlog::info("({}) Entering INIT STATE on {} vrid {} (engine not built yet)", in.name, in.interface, in.vrid);
  }
}

void Service::reload(const conf::Config& config, const conf::ConfigDiff&) {
  config_ = config.vrrp.value_or(conf::Vrrp{});
}

void Service::stop(std::function<void()> done) { done(); }

void Service::status(nlohmann::json& out) const {
  auto list = nlohmann::json::array();
  for (const auto& in : config_.instances) {
    auto vips = nlohmann::json::array();
    for (const auto& p : in.virtual_addresses) vips.push_back(p.to_string());
    list.push_back({{"name", in.name},
                    {"interface", in.interface},
                    {"vrid", in.vrid},
                    {"state", "INIT"},
                    {"priority", in.priority},
                    {"effective_priority", in.priority},
                    {"master", nullptr},
                    {"virtual_addresses", vips},
                    {"counters", {{"advert_rcvd", 0}, {"advert_sent", 0}, {"become_master", 0},
                                  {"pri_zero_rcvd", 0}, {"pri_zero_sent", 0}, {"drops", nlohmann::json::object()}}}});
  }
  out["vrrp"] = std::move(list);
}

}  // namespace pairgate::vrrp
