// The VRRP module: runs one vrrp::Instance per configured instance on the
// event loop. It reads and sends adverts on raw IPv4 and IPv6 sockets
// (protocol 112; to 224.0.0.18 or ff02::12 with TTL / hop limit 255, or to
// each unicast peer), adds and removes the virtual addresses over netlink, sends
// gratuitous ARP (IPv4) and unsolicited neighbour adverts (IPv6),
// tracks interfaces (netlink link events) and
// tunnels (TunnelHealthSource), moves sync groups together, and logs every
// transition as keepalived does: "(VRRP1) Entering MASTER STATE".
#pragma once

#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/netlink.h"
#include "core/raw_socket.h"
#include "vrrp/engine.h"
#include "vrrp/log_limit.h"
#include "vrrp/notify.h"
#include "core/tunnel_health.h"
#include "firewall/nft.h"
#include "vrrp/track.h"

namespace pairgate::vrrp {

class Service final : public Module {
 public:
  // How long stop() waits for notify programs and alert mail of the last
  // transitions before it kills and drops them (the daemon allows a module 3 s).
  static constexpr std::chrono::milliseconds kNotifyStopDeadline{2000};

  // tunnels: may be null (no tunnel module): tracked tunnels count as up.
  explicit Service(ModuleContext ctx, TunnelHealthSource* tunnels = nullptr);
  ~Service() override;
  std::string_view name() const override { return "vrrp"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  // Halts every instance (masters resign), then waits for notify programs
  // and mail, at most kNotifyStopDeadline.
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

 private:
  // What status() shows, as metrics (vrrp/metrics.h).
  void collect(MetricSet& out) const;
  struct Router;
  struct InterfaceCounters {
    std::array<std::uint64_t, kDropKinds> drops{};
  };

  std::unique_ptr<Router> make_router(const conf::VrrpInstance& c);
  void bind_interface(Router& r);
  bool update_primary(Router& r);
  RawSocket* socket_for(Family family);  // opened on first use; null if it cannot be
  void remove_stale_addresses(Router& r);
  void launch(const conf::VrrpInstance& c);  // a new router, started
  void halt(Router& r);
  void retire(Router& r);                    // halted and dropped
  void on_packet(const RawPacket& p);
  void on_link(const LinkEvent& e);
  void on_address(const AddressEvent& e);
  void execute(Router& r, Effects effects);
  // Publishes a transition on the event bus and lets the sync group follow.
  void announce(Router& r, const StateChanged& t, TimePoint at);
  std::error_code send_advert(Router& r, const SendAdvert& s);
  void arm(Router& r);
  void garp(Router& r, const std::vector<IpPrefix>& addresses, unsigned repeat);
  void log_drop(const std::string& who, Drop d);
  void schedule_garp(Router& r);
  void garp_after(Router& r, conf::Duration wait);
  void retrack(Router& r, const std::string& why);
  // accept_mode false: the table of vrrp/accept_mode.h, as the instances want it now.
  void apply_accept_mode();
  void propagate(Router& from, State to, const std::string& reason);
  Router* find(int ifindex, std::uint8_t vrid, Family family);
  Router* find(const std::string& name);
  TimePoint now() const { return Clock::now(); }

  ModuleContext ctx_;
  TunnelHealthSource* tunnels_;
  conf::Config config_;
  std::vector<std::unique_ptr<Router>> routers_;
  std::optional<RawSocket> socket_;   // IPv4, protocol 112
  std::optional<RawSocket> socket6_;  // IPv6, protocol 112
  std::optional<RawSocket> icmp6_;  // unsolicited neighbour adverts for IPv6 excluded_addresses
  std::map<int, InterfaceCounters> interface_counters_;
  std::uint64_t unknown_vrid_ = 0;
  std::map<std::string, std::string> tunnel_reasons_;
  std::map<std::pair<std::string, Drop>, LogLimit> drop_log_;
  std::optional<Netlink::SubscriptionId> subscription_;
  std::unique_ptr<Notifier> notifier_;
  MetricsRegistry::Id metrics_id_ = 0;
  std::unique_ptr<firewall::Nft> nft_;  // loaded when an instance has accept_mode false
  std::string accept_applied_;          // the script in force, empty for none
  std::string accept_error_;
  boost::asio::steady_timer stop_timer_;  // kNotifyStopDeadline
  bool stopping_ = false;
};

}  // namespace pairgate::vrrp
