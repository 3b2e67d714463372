// The HTTP endpoint as a module: serves http/routes.h through http/server.h
// on the daemon's loop while the `http` section is present. It reads only
// the daemon's registries (commands, metrics, events), never another module,
// and never a file.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <optional>

#include "conf/config.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "core/module.h"
#include "http/routes.h"
#include "http/server.h"

namespace pairgate::http {

class Service final : public Module {
 public:
  // `clock`: null, the steady clock (tests pass a manual one).
  explicit Service(ModuleContext ctx, LoopClock* clock = nullptr);
  ~Service() override;
  std::string_view name() const override { return "http"; }
  // Throws std::runtime_error when a listen address cannot be bound.
  void start(const conf::Config& config) override;
  // A changed section closes the listeners and opens the new ones; if they
  // cannot be bound, the old ones are opened again and the error logged.
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  const Server* server() const { return server_.get(); }
  Routes& routes() { return routes_; }

 private:
  void open(const conf::Http& http);
  void collect(MetricSet& out) const;

  ModuleContext ctx_;
  LoopClock* clock_;
  Routes routes_;
  std::optional<conf::Http> config_;
  std::unique_ptr<Server> server_;
  ServerCounters closed_counters_;  // of servers closed by reloads, so counters never go back
  MetricsRegistry::Id metrics_id_ = 0;
};

}  // namespace pairgate::http
