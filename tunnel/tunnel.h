// One configured tunnel on the event loop: waits for the WAN address,
// finds the AFTR, keeps the ip6tnl link as configured, runs the health
// engine and keeps the IPv4 default route through the link while it is UP.
//
// It never polls: netlink events (links, addresses) and its own timers
// (probe rounds, retries, the AFTR name's TTL) drive it, and reconcile()
// brings the kernel to what the configuration and the events say.
#pragma once

#include <boost/asio/io_context.hpp>
#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "conf/config.h"
#include "core/clock.h"
#include "core/netlink.h"
#include "tunnel/aftr.h"
#include "tunnel/dns_client.h"
#include "tunnel/health.h"
#include "tunnel/mape.h"
#include "tunnel/ipip_update.h"
#include "tunnel/resolvers.h"

namespace pairgate::tunnel {

inline constexpr std::string_view kNoKernelSupport = "kernel lacks ip6_tunnel (CONFIG_IPV6_TUNNEL)";

// What a tunnel needs from the service around it.
struct TunnelHooks {
  // Send an echo request; ifindex: the tunnel (IPv4) or the WAN (IPv6).
  std::function<void(const IpAddress& destination, std::uint16_t identifier, std::uint16_t sequence, int ifindex)> send_probe;
  // The health state or its reason changed.
  std::function<void(const std::string& tunnel, State state, const std::string& reason)> publish;
  // DNS servers for the AFTR name when none is configured: RDNSS learned on
  // `ifindex`, else the system's. May ask for an RA (router solicitation).
  std::function<std::pair<std::vector<Resolver>, ResolverSource>(int ifindex)> resolvers;
  // type mape: the mapping was computed, changed or withdrawn (data as
  // tunnel/mape.h's map_event_data; the service publishes "tunnel_map").
  std::function<void(const std::string& tunnel, const std::string& message, const nlohmann::json& data)> publish_map;
  // type mape: the CE address was put on `ifindex` (start, takeover,
  // renumbering): an unsolicited NA with Override (core/nd.h) tells the BR
  // and the home gateway at once, rather than at their next ND.
  std::function<void(int ifindex, const Ipv6Address& address)> announce;
  // type ipip: a call of the update URL ended (tunnel/ipip_update.h).
  std::function<void(const std::string& tunnel, const UpdateResult& result)> update_result;
};

class Tunnel {
 public:
  // `clock` outlives the tunnel.
  Tunnel(boost::asio::io_context& io, Netlink& netlink, LoopClock& clock, conf::Tunnel config,
         std::uint16_t identifier, TunnelHooks hooks);
  ~Tunnel();
  Tunnel(const Tunnel&) = delete;
  Tunnel& operator=(const Tunnel&) = delete;

  void start();
  // Removes the route (the previous default route comes back) and the link.
  void stop();
  // A changed configuration of the same name: health settings apply from
  // the next round; link parameters are re-sent; a new AFTR is looked up.
  void reconfigure(const conf::Tunnel& config);

  // Shared B4 address (conf/shared_b4.h): the link exists only while VRRP
  // instance `instance` is MASTER here. Call before start().
  void share_with(std::string instance);
  // The owning instance entered MASTER (held) or left it, at `since`. While
  // not held the link and the route are absent and the health engine
  // probes only the AFTR over the WAN (from this router's own address),
  // so that tracking says whether this router could take over.
  void set_held(bool held, SteadyTime since);
  const std::optional<std::string>& shared_with() const { return shared_with_; }
  bool held() const { return held_; }

  void on_link(const LinkEvent& e);
  void on_address(const AddressEvent& e);
  void on_resync();
  void on_reply(const IpAddress& from, std::uint16_t sequence);
  // New RDNSS servers were learned on `ifindex`.
  void on_resolvers_learned(int ifindex);

  const std::string& name() const { return config_.name; }
  std::uint16_t identifier() const { return identifier_; }
  int wan_index() const { return wan_index_; }
  State state() const { return health_.state(); }
  const std::string& reason() const { return health_.reason(); }
  const HealthEngine& health() const { return health_; }
  std::uint64_t transitions() const { return transitions_; }
  void status(nlohmann::json& out) const;
  // type mape: the MAP-E state (null for dslite).
  const MapeState* mape() const { return mape_.get(); }
  // type ipip with update_url: its caller; else null.
  const IpipUpdater* updater() const { return updater_.get(); }

 private:
  // type ipip (tunnel/tunnel_ipip.cc): the local address (interface_id), the
  // address pairgate adds to the WAN for it, the update URL.
  std::optional<Ipv6Address> find_local() const;
  void ipip_make_updater();
  void ipip_step();
  bool ipip_on_address(const AddressEvent& e);
  void ipip_stop();
  void ipip_status(nlohmann::json& out) const;
  void reconcile();
  void halt(const std::string& reason);
  void apply(HealthEffects fx);
  void arm_health();
  void retry_in(std::chrono::seconds delay);
  void resolve();
  void on_resolved(const dns::Response& r, const std::string& error);
  void next_aftr(const std::string& why);
  void ensure_ipv4_address();
  void install_route();
  void remove_route();
  void restore_previous_route();
  Ip6TunnelParams desired() const;
  static HealthSettings settings(const conf::Tunnel& c);
  HealthSettings current_settings() const;
  // Not held: no link, no route; probe the underlay.
  void release();
  // The route and the link (one on the shared address) go.
  void drop_link();
  // One step of a takeover, logged with the time since the transition.
  void takeover_step(const std::string& what);
  // type mape: the mapping from the WAN's address (or the configured
  // prefix), published when it changed; false (after halt) without one.
  bool map_step(const std::optional<Ipv6Address>& wan);
  void publish_map();
  // The WAN's IPv6 addresses, without the CE address of a mape tunnel.
  std::vector<AddressInfo> wan_addresses();
  // The local end while shared: the configured one, or the CE address.
  std::string shared_address() const;

  Netlink& netlink_;
  LoopClock& clock_;
  conf::Tunnel config_;
  std::uint16_t identifier_;
  TunnelHooks hooks_;
  HealthEngine health_;
  AftrSet aftr_;
  DnsClient dns_;
  std::unique_ptr<Timer> health_timer_;
  std::unique_ptr<Timer> retry_timer_;
  std::unique_ptr<Timer> ttl_timer_;
  std::chrono::seconds backoff_{1};
  bool started_ = false;
  bool unsupported_ = false;     // the kernel has no ip6_tunnel: wait for a reload
  std::string blocked_;          // a link of our name that is not ours
  int wan_index_ = 0;
  int link_index_ = 0;
  std::optional<Ipv6Address> local_;
  std::optional<IpPrefix> ipv4_;             // the B4 address on the link, while it is there
  std::optional<RouteInfo> route_;           // ours, while installed
  std::optional<RouteInfo> previous_route_;  // the default route ours replaced, until it is back
  bool restore_failing_ = false;             // said once until it works
  ResolverSource resolver_source_ = ResolverSource::none;
  std::vector<Resolver> resolvers_used_;
  std::string dns_error_;
  TimePoint since_;
  std::optional<std::string> shared_with_;  // the VRRP instance that owns the local address
  bool held_ = false;
  std::optional<SteadyTime> takeover_;      // the owning instance's transition, until the route is in
  std::uint64_t takeovers_ = 0;
  std::uint64_t releases_ = 0;
  std::uint64_t transitions_ = 0;
  std::uint64_t link_changes_ = 0;
  std::uint64_t aftr_switches_ = 0;
  std::uint64_t route_errors_ = 0;
  std::uint64_t address_errors_ = 0;
  std::unique_ptr<MapeState> mape_;               // type mape
  std::optional<Ipv6Address> wan_address_;        // type mape: the WAN's chosen address (prefix: auto)
  std::optional<MapResult> published_;            // type mape: the mapping last published as active
  std::uint64_t map_changes_ = 0;
  // type ipip
  boost::asio::io_context& io_;
  std::unique_ptr<IpipUpdater> updater_;
  std::optional<Ipv6Address> wan_added_;      // the local address pairgate put on the WAN (interface_id)
  std::optional<std::pair<Ipv6Address, int>> update_wanted_;  // local address and link last told
};

}  // namespace pairgate::tunnel
