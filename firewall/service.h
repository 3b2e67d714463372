// The firewall module: applies render.h's table through nft.h, re-applies it
// on reload only when the rendered text changed, removes it on stop. A
// ruleset nft refuses leaves the previous table in force; the error is logged
// and shown in status.
//
// The table's counters (and whether it is still there) are read off the
// event loop, every `check_every` and when a status request finds the last
// reading older than a second, by one `list counters table` on a helper
// thread; status serves the last reading with its age, so a status request
// costs the loop no nft call (a VRRP advert is never held up by one).
// Applying and removing stay on the loop: start must fail at once, and they
// are rare. One mutex serialises every use of the libnftables context.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "conf/config.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/module.h"
#include "firewall/map_nat.h"
#include "firewall/map_usage.h"
#include "firewall/nft.h"

namespace pairgate::firewall {

class Service final : public Module {
 public:
  // Runs a job off the event loop; the job posts its result back itself.
  using Offload = std::function<void(std::function<void()>)>;

  // nft: null = libnftables, made at start.
  // check_every: how often the counters are read and the table checked for
  // removal by another program (`flush ruleset` in /etc/nftables.conf does
  // that); zero: never (status then has no counters).
  // offload: null = one helper thread of the module's own.
  explicit Service(ModuleContext ctx, std::unique_ptr<Nft> nft = nullptr,
                   std::chrono::milliseconds check_every = std::chrono::seconds(5), Offload offload = nullptr);
  ~Service() override;
  std::string_view name() const override { return "firewall"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;
  // Where the MAP-E port-set readings come from (default: the kernel's
  // conntrack table and /proc/net/stat/nf_conntrack); tests give their own.
  // Call before start().
  void set_map_usage_sources(MapUsageSources sources) { usage_sources_ = std::move(sources); }

 private:
  void apply(const conf::Config& config);
  // MAP-E: the tunnels' mappings (events of kind "tunnel_map", and the
  // bus's history at start); a changed one re-applies the table.
  void on_event(const Event& e);
  bool take_map(const Event& e);
  // After the table of a new mapping is in force: the conntrack entries
  // mapped to the one it replaced (or, for a tunnel's first, to its own
  // address outside its sets: left from before a restart) are deleted on
  // the helper (firewall/map_usage.h stale_after_remap). A withdrawn
  // mapping (the tunnel stops) deletes nothing: on a graceful stop the
  // entries' removal would reach the peer through state sync and end the
  // flows there.
  void flush_remapped();
  struct Remap {
    MapNat old, now;
  };
  std::vector<Remap> remapped_;
  std::vector<MapNat> maps_for(const conf::Config& config) const;
  void remove();
  void forget();  // no table of ours is in the kernel any more
  void watch();
  // What status() shows, as metrics: the drop counters by chain (the last
  // reading), applies, failures, restores.
  void collect(MetricSet& out) const;
  // On the event bus: the table applied, replaced, put back, refused or removed.
  void publish(const std::string& what, const std::string& message);
  // A reading of the table in force: posted to the helper, answered on the loop.
  struct Reading {
    bool present = false;
    std::optional<std::uint64_t> input_drops;
    std::optional<std::uint64_t> forward_drops;
    std::map<std::string, MapUsage> usage;  // MAP-E tunnel -> its port sets' use
  };
  // The MAP-E monitors, touched only by the reading job (one at a time):
  // one per tunnel's mapping, made anew when the mapping changes; a tunnel
  // is read again no sooner than 20 times its last dump took (at most 5% of
  // a core on the helper thread), its last reading repeated meanwhile.
  struct UsageMonitors {
    struct One {
      MapNat nat;
      std::unique_ptr<MapUsageMonitor> monitor;
      MapUsage last;
      std::optional<std::chrono::steady_clock::time_point> read_at;
    };
    std::map<std::string, One> tunnels;
  };
  static void read_usage(UsageMonitors& monitors, const std::vector<MapNat>& maps, const MapUsageSources& sources,
                         std::map<std::string, MapUsage>& out);
  // Posts a reading unless one is on its way (const: status asks for one).
  void read_counters() const;
  void on_reading(const Reading& r, std::uint64_t generation);
  std::expected<std::string, std::string> run(const std::string& script, bool json = false) const;

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
  MapUsageSources usage_sources_ = kernel_map_usage_sources();
  std::shared_ptr<UsageMonitors> usage_monitors_ = std::make_shared<UsageMonitors>();
  std::uint64_t exhaustion_logged_ = 0;  // the exhausted drops the last warning counted, all tunnels
  std::map<std::string, MapNat> maps_;  // tunnel -> its MAP-E NAT, while a mapping is active
  std::optional<std::uint64_t> events_subscription_;
  std::uint64_t map_updates_ = 0;
  std::uint64_t map_events_refused_ = 0;  // tunnel_map events whose data did not read
  std::uint64_t map_flushed_ = 0;         // conntrack entries of replaced mappings deleted
  std::uint64_t map_flush_failures_ = 0;  // flushes that failed, or entries that would not go
  mutable std::mutex nft_mutex_;     // every nft_->run, from either thread
  std::uint64_t generation_ = 0;     // bumped by each apply and removal: older readings are stale
  mutable bool reading_ = false;     // a reading is on its way
  std::optional<Reading> reading_in_force_;
  std::chrono::steady_clock::time_point read_at_;
  std::uint64_t readings_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  Offload offload_;  // called on the loop only
  std::unique_ptr<boost::asio::thread_pool> pool_;  // last: joined first
};

}  // namespace pairgate::firewall
