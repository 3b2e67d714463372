// The tunnel module: one tunnel::Tunnel per entry of `tunnels`, the probe
// sockets they share (raw ICMP and ICMPv6, told apart by echo identifier),
// the RDNSS servers learned from router advertisements, and the health
// each tunnel publishes to VRRP tracking (core/tunnel_health.h).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "conf/config.h"
#include "core/events.h"
#include "core/metrics.h"
#include "core/module.h"
#include "core/netlink.h"
#include "core/raw_socket.h"
#include "tunnel/rdnss.h"
#include "tunnel/tunnel.h"
#include "core/tunnel_health.h"

namespace pairgate::tunnel {

class Service final : public Module, public TunnelHealthSource {
 public:
  explicit Service(ModuleContext ctx);
  ~Service() override;
  std::string_view name() const override { return "tunnel"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  std::optional<TunnelHealth> health(const std::string& tunnel) const override;
  void subscribe(Listener listener) override;

 private:
  void open_sockets();
  void subscribe_netlink();
  void launch(const conf::Config& config, const conf::Tunnel& c);
  // VRRP transitions (events of kind "vrrp") tell a tunnel with a shared
  // B4 address whether its instance is MASTER here.
  void subscribe_vrrp();
  void on_vrrp(const Event& e);
  // The last transition of `instance` the event bus still holds.
  void catch_up(Tunnel& t, const std::string& instance);
  void send_probe(const IpAddress& destination, std::uint16_t identifier, std::uint16_t sequence, int ifindex);
  void on_echo(Family family, const RawPacket& p);
  void on_nd_user_option(const NdUserOptionEvent& e);
  std::pair<std::vector<Resolver>, ResolverSource> resolvers(int ifindex);
  void solicit_router(int ifindex);
  void publish(const std::string& tunnel, State state, const std::string& reason);

  ModuleContext ctx_;
  std::unique_ptr<LoopClock> clock_;
  std::vector<std::unique_ptr<Tunnel>> tunnels_;
  std::vector<Listener> listeners_;
  std::optional<RawSocket> icmp4_;
  std::optional<RawSocket> icmp6_;
  std::optional<Netlink::SubscriptionId> subscription_;
  std::optional<std::uint64_t> vrrp_subscription_;
  RdnssTable rdnss_;
  std::map<int, TimePoint> solicited_;          // router solicitations sent
  std::uint16_t next_identifier_;
  std::uint64_t send_errors_ = 0;
  std::uint64_t rdnss_updates_ = 0;
  std::string socket_error_;
  bool stopping_ = false;
  MetricsRegistry::Id metrics_id_ = 0;
};

}  // namespace pairgate::tunnel
