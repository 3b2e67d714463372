// The peer module: the channel engine (peer/channel.h) on the event loop
// with its TCP sockets and timer, lease sync (peer/lease_sync.h) on top,
// status, metrics and events. It is the daemon's PeerChannel: other modules
// attach to it (app/daemon.cc hands it out), and it keeps their attachment
// across a reload that rebuilds the channel.
//
// Without a `peer` section it does nothing and status shows no `peer` key.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json_fwd.hpp>

#include <array>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>

#include "conf/config.h"
#include "core/clock.h"
#include "core/lease_sync.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/peer_channel.h"
#include "peer/channel.h"
#include "peer/lease_sync.h"

namespace pairgate::peer {

class Service final : public Module, public PeerChannel {
 public:
  // `leases` and `sink` are the DHCP server's (null: none).
  Service(ModuleContext ctx, LeaseSource* leases, LeaseSink* sink);
  ~Service() override;

  std::string_view name() const override { return "peer"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  // PeerChannel, for the other modules.
  void attach(PeerMessageType first, std::string name, PeerUser& user) override;
  void detach(PeerUser& user) override;
  bool send(PeerMessageType type, std::span<const std::byte> payload) override;
  bool is_up() const override { return channel_ && channel_->is_up(); }

  // The state status shows: connecting, syncing, in-sync or down.
  std::string_view state() const { return state_; }

 private:
  struct Connection;
  struct Registered {
    PeerMessageType first;
    std::string name;
    PeerUser* user;
  };

  void open(const conf::Config& config);
  void finish_stop();
  void close_all();
  void listen();
  void accept();
  void execute();
  void execute_soon();
  void arm_timer();
  void dial(ConnId id);
  void read(const std::shared_ptr<Connection>& c);
  void write_next(const std::shared_ptr<Connection>& c);
  void on_sync_event(const LeaseSync::Event& e);
  void log_rejected(std::string_view what, const std::string& detail);
  void update_state(std::string reason);
  void collect(MetricSet& out) const;
  static Scope scope_of(const conf::Config& config);

  ModuleContext ctx_;
  LeaseSource* leases_;
  LeaseSink* sink_;
  std::unique_ptr<LoopClock> clock_;
  std::unique_ptr<Timer> timer_;
  std::optional<conf::Peer> config_;
  std::string node_;
  std::unique_ptr<Channel> channel_;
  std::unique_ptr<LeaseSync> lease_sync_;
  std::vector<Registered> users_;
  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor_;
  std::string listen_error_;
  std::map<ConnId, std::shared_ptr<Connection>> connections_;
  bool execute_posted_ = false;
  bool stopping_ = false;
  std::function<void()> stop_done_;
  SteadyTime stop_deadline_{};
  Key master_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  MetricsRegistry::Id metrics_id_ = 0;

  std::string state_ = "connecting";
  std::string reason_;
  std::chrono::system_clock::time_point since_wall_{};
  SteadyTime since_{};
  // Rejections logged at most once per reason and 10 s, with the count of
  // those left out.
  struct Limiter {
    SteadyTime next{};
    std::uint64_t suppressed = 0;
  };
  std::map<std::string, Limiter, std::less<>> limiter_;
};

}  // namespace pairgate::peer
