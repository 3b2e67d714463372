// Conntrack state sync as a module: the engine (ctsync/engine.h) on the
// event loop, fed by the conntrack event socket (ctsync/kernel.h) and the
// peer channel (block peer_types::conntrack_first), following the VRRP
// instance named by firewall.state_sync_instance through the event bus. The
// table dump and the commit at takeover run on a helper thread: a commit of
// tens of thousands of entries takes ctnetlink a while, and VRRP adverts
// must not wait for it.
//
// Status: firewall.state_sync; metrics: pairgate_firewall_state_sync_*.
#pragma once

#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json_fwd.hpp>

#include <memory>
#include <optional>
#include <set>
#include <string>

#include "conf/config.h"
#include "core/clock.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/peer_channel.h"
#include "ctsync/engine.h"
#include "ctsync/kernel.h"

namespace pairgate::ctsync {

class Service final : public Module, public PeerUser {
 public:
  Service(ModuleContext ctx, PeerChannel& channel);
  ~Service() override;
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  std::string_view name() const override { return "state_sync"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  // PeerUser
  void up(const PeerHello& peer) override;
  void message(PeerMessageType type, std::span<const std::byte> payload) override;
  void down(std::string_view reason) override;

  // The VRRP instances whose state the firewall follows (those of a sync
  // group, or the one instance); empty when state sync is off.
  static std::set<std::string> followed(const conf::Config& config);

 private:
  void enable(const conf::Config& config);
  void disable();
  void on_event(const Event& e);
  void apply(Effects effects);
  void arm();
  void run_dump();
  void run_commit(std::vector<Entry> entries);
  void collect(MetricSet& out) const;

  ModuleContext ctx_;
  PeerChannel& channel_;
  std::unique_ptr<LoopClock> clock_;
  std::unique_ptr<Timer> timer_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<EventSocket> events_;
  std::set<std::string> followed_;
  std::optional<EventBus::SubscriptionId> subscription_;
  MetricsRegistry::Id metrics_id_ = 0;
  std::size_t max_entries_ = 0;
  bool dumping_ = false;
  bool committing_ = false;
  std::string error_;
  std::string peer_node_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<boost::asio::thread_pool> pool_;  // last: joined first
};

}  // namespace pairgate::ctsync
