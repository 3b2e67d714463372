// The firewall module: applies render.h's table through nft.h, re-applies it
// on reload only when the rendered text changed, removes it on stop. A
// ruleset nft refuses leaves the previous table in force; the error is logged
// and shown in status.
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <memory>
#include <optional>
#include <string>

#include "conf/config.h"
#include "core/metrics.h"
#include "core/module.h"
#include "firewall/nft.h"

namespace pairgate::firewall {

class Service final : public Module {
 public:
  // nft: null = libnftables, made at start.
  // check_every: how often the table is checked for removal by another
  // program (`flush ruleset` in /etc/nftables.conf does that); zero: never.
  explicit Service(ModuleContext ctx, std::unique_ptr<Nft> nft = nullptr,
                   std::chrono::milliseconds check_every = std::chrono::seconds(5))
      : ctx_(ctx), nft_(std::move(nft)), check_every_(check_every), timer_(ctx.io) {
    metrics_id_ = ctx_.metrics.add([this](MetricSet& out) { collect(out); });
  }
  ~Service() override { ctx_.metrics.remove(metrics_id_); }
  std::string_view name() const override { return "firewall"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

 private:
  void apply(const conf::Config& config);
  void remove();
  void forget();  // no table of ours is in the kernel any more
  bool table_present();
  void watch();
  std::optional<std::uint64_t> drops(const std::string& counter) const;
  // What status() shows, as metrics: the drop counters by chain (read from
  // the kernel), applies, failures, restores.
  void collect(MetricSet& out) const;
  // On the event bus: the table applied, replaced, put back, refused or removed.
  void publish(const std::string& what, const std::string& message);

  ModuleContext ctx_;
  std::unique_ptr<Nft> nft_;
  bool configured_ = false;
  bool enabled_ = false;
  std::string table_;          // the configured table name
  std::string applied_table_;  // the name of the table in the kernel; empty = none
  std::string applied_;        // the rendered text in force; empty = none
  std::string error_;      // nft's refusal of the last attempt
  std::uint64_t applies_ = 0;
  std::uint64_t failures_ = 0;
  std::uint64_t restored_ = 0;
  bool restoring_ = false;  // apply() puts back a table someone removed
  std::chrono::milliseconds check_every_;
  boost::asio::steady_timer timer_;
  conf::Config last_;
  MetricsRegistry::Id metrics_id_ = 0;
};

}  // namespace pairgate::firewall
