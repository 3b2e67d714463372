#include "tunnel/service.h"

#include "core/events.h"
#include "tunnel/metrics.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <linux/icmp.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <random>
#include <spdlog/spdlog.h>

#include "conf/diff.h"
#include "conf/shared_b4.h"
#include "core/byte_io.h"
#include "core/icmp_echo.h"
#include "core/nd.h"
#include "core/vrrp_transition.h"

namespace pairgate::tunnel {

namespace {

TunnelHealth to_health(State s) {
  switch (s) {
    case State::up: return TunnelHealth::up;
    case State::degraded: return TunnelHealth::degraded;
    case State::down: return TunnelHealth::down;
  }
  return TunnelHealth::down;
}

constexpr std::chrono::seconds kSolicitEvery{10};

// The VRRP instance a tunnel's local address follows: a shared B4 address
// (dslite), or a mape tunnel's vrrp_instance (both routers on one /64
// compute the same CE address: only the master may hold it).
std::optional<std::string> owner_instance(const conf::Config& config, const conf::Tunnel& c) {
  if (c.mape) return c.mape->vrrp_instance.empty() ? std::nullopt : std::optional<std::string>(c.mape->vrrp_instance);
  if (auto shared = conf::shared_b4(config, c)) return shared->instance;
  return std::nullopt;
}

// /etc/resolv.conf, at most 64 KiB of it, read close-on-exec.
std::string read_resolv_conf() {
  std::string text;
  const int fd = ::open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return text;
  char buf[4096];
  for (ssize_t n; text.size() < 65536 && (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

}  // namespace

Service::Service(ModuleContext ctx)
    : ctx_(ctx), clock_(make_steady_clock(ctx.io)), next_identifier_(static_cast<std::uint16_t>(std::random_device{}())) {
  // What status() shows of each tunnel's health, as metrics (tunnel/metrics.h).
  metrics_id_ = ctx_.metrics.add([this](MetricSet& out) {
    for (const auto& t : tunnels_) {
      add_tunnel_metrics(out, t->name(), t->health(), t->transitions());
      if (t->mape() && t->mape()->result()) add_map_metrics(out, t->name(), *t->mape()->result());
      if (auto* u = t->updater()) u->metrics(out);
    }
  });
}

Service::~Service() {
  ctx_.metrics.remove(metrics_id_);
  if (vrrp_subscription_) ctx_.events.unsubscribe(*vrrp_subscription_);
  if (subscription_) ctx_.netlink.unsubscribe(*subscription_);
}

void Service::open_sockets() {
  if (icmp4_) return;
  try {
    icmp4_.emplace(RawSocket::ip(ctx_.io, Family::ipv4, IPPROTO_ICMP));
    icmp6_.emplace(RawSocket::ip(ctx_.io, Family::ipv6, IPPROTO_ICMPV6));
  } catch (const std::exception& e) {
    // Without CAP_NET_RAW nothing can be probed; the tunnels stay DOWN and say why.
    socket_error_ = e.what();
    spdlog::error("tunnel: cannot open the probe sockets: {}", e.what());
    icmp4_.reset();
    icmp6_.reset();
    return;
  }
  // Only echo replies reach us (ICMP_FILTER, ICMP6_FILTER, RFC 3542 §3.2).
  icmp_filter f4{~(1u << ICMP_ECHOREPLY)};
  ::setsockopt(icmp4_->native_handle(), SOL_RAW, ICMP_FILTER, &f4, sizeof f4);
  icmp6_filter f6;
  ICMP6_FILTER_SETBLOCKALL(&f6);
  ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f6);
  ::setsockopt(icmp6_->native_handle(), IPPROTO_ICMPV6, ICMP6_FILTER, &f6, sizeof f6);
  icmp6_->set_multicast_hops(255);  // router solicitations (RFC 4861 §6.3.7)
  icmp4_->start([this](const RawPacket& p) { on_echo(Family::ipv4, p); });
  icmp6_->start([this](const RawPacket& p) { on_echo(Family::ipv6, p); });
}

void Service::start(const conf::Config& config) {
  if (config.tunnels.empty()) return;
  open_sockets();
  subscribe_netlink();
  for (const auto& c : config.tunnels) launch(config, c);
}

void Service::subscribe_vrrp() {
  if (vrrp_subscription_) return;
  vrrp_subscription_ = ctx_.events.subscribe([this](const Event& e) { on_vrrp(e); });
}

void Service::on_vrrp(const Event& e) {
  if (stopping_) return;
  auto t = vrrp_transition(e);
  if (!t) return;
  for (auto& tunnel : tunnels_) {
    if (tunnel->shared_with() == t->instance) tunnel->set_held(t->master(), t->at.value_or(clock_->now()));
  }
}

void Service::catch_up(Tunnel& t, const std::string& instance) {
  if (auto last = last_vrrp_transition(ctx_.events, instance)) t.set_held(last->master(), clock_->now());
}

void Service::subscribe_netlink() {
  if (subscription_) return;
  subscription_ = ctx_.netlink.subscribe(
      {.on_link = [this](const LinkEvent& e) {
         for (auto& t : tunnels_) t->on_link(e);
       },
       .on_address = [this](const AddressEvent& e) {
         for (auto& t : tunnels_) t->on_address(e);
       },
       .on_resync = [this] {
         for (auto& t : tunnels_) t->on_resync();
       },
       .on_nd_user_option = [this](const NdUserOptionEvent& e) { on_nd_user_option(e); }});
}

void Service::launch(const conf::Config& config, const conf::Tunnel& c) {
  TunnelHooks hooks;
  hooks.send_probe = [this](const IpAddress& d, std::uint16_t id, std::uint16_t seq, int ifindex) {
    send_probe(d, id, seq, ifindex);
  };
  hooks.publish = [this](const std::string& t, State s, const std::string& r) { publish(t, s, r); };
  hooks.resolvers = [this](int ifindex) { return resolvers(ifindex); };
  hooks.announce = [this](int ifindex, const Ipv6Address& address) {
    // RFC 4861 §7.2.6: unsolicited NA to all-nodes, hop limit 255 (the socket's multicast hops).
    auto link = ctx_.netlink.link(ifindex);
    if (!icmp6_ || !link) return;
    if (auto ec = icmp6_->send_to(unsolicited_na(link->mac, address), *Ipv6Address::parse("ff02::1"), ifindex)) {
      spdlog::warn("tunnel: unsolicited NA for {} not sent: {}", address.to_string(), ec.message());
    }
  };
  hooks.publish_map = [this](const std::string& t, const std::string& message, const nlohmann::json& data) {
    if (!stopping_) ctx_.events.publish("tunnel_map", t, message, data);
  };
  hooks.update_result = [this](const std::string& t, const UpdateResult& r) {
    if (stopping_) return;
    ctx_.events.publish("tunnel_update", t,
                        "tunnel " + t + " update URL " + (r.ok ? "answered" : "failed: " + r.error) +
                            (r.http_status != 0 ? " (HTTP " + std::to_string(r.http_status) + ")" : ""),
                        {{"result", r.ok ? "success" : "failure"}, {"http_status", r.http_status}, {"error", r.error}});
  };
  tunnels_.push_back(std::make_unique<Tunnel>(ctx_.io, ctx_.netlink, *clock_, c, next_identifier_++, std::move(hooks)));
  Tunnel& t = *tunnels_.back();
  if (auto shared = conf::shared_b4(config, c)) {
    spdlog::info("{}", conf::describe(c, *shared));
    t.share_with(shared->instance);
    subscribe_vrrp();
    catch_up(t, shared->instance);
  } else if (auto owner = owner_instance(config, c)) {
    spdlog::info("tunnel {}: the CE address is held by VRRP instance {} while it is MASTER", c.name, *owner);
    t.share_with(*owner);
    subscribe_vrrp();
    catch_up(t, *owner);
  }
  t.start();
}

void Service::reload(const conf::Config& config, const conf::ConfigDiff& diff) {
  if (diff.tunnels.empty()) return;
  if (!config.tunnels.empty()) {
    open_sockets();
    subscribe_netlink();
  }
  for (const auto& name : diff.tunnels.removed) {
    for (auto it = tunnels_.begin(); it != tunnels_.end(); ++it) {
      if ((*it)->name() != name) continue;
      (*it)->stop();
      tunnels_.erase(it);
      spdlog::info("tunnel {}: removed from the configuration", name);
      // Tracking of a removed tunnel is refused by validation; nothing to publish.
      break;
    }
  }
  for (const auto& name : diff.tunnels.changed) {
    const conf::Tunnel* c = config.find_tunnel(name);
    if (c == nullptr) continue;
    for (auto it = tunnels_.begin(); it != tunnels_.end(); ++it) {
      if ((*it)->name() != name) continue;
      // Another type (dslite, mape) is another tunnel: started afresh.
      const bool same_type = ((*it)->mape() != nullptr) == c->mape.has_value();
      if (same_type && owner_instance(config, *c) == (*it)->shared_with()) {
        (*it)->reconfigure(*c);
      } else {
        // Shared or not, or owned by another instance: started afresh.
        (*it)->stop();
        tunnels_.erase(it);
        launch(config, *c);
      }
      break;
    }
  }
  for (const auto& name : diff.tunnels.added) {
    if (const conf::Tunnel* c = config.find_tunnel(name)) launch(config, *c);
  }
}

void Service::stop(std::function<void()> done) {
  stopping_ = true;
  for (auto& t : tunnels_) t->stop();
  tunnels_.clear();
  if (icmp4_) icmp4_->close();
  if (icmp6_) icmp6_->close();
  if (subscription_) ctx_.netlink.unsubscribe(*subscription_);
  subscription_.reset();
  done();
}

void Service::status(nlohmann::json& out) const {
  auto list = nlohmann::json::array();
  for (const auto& t : tunnels_) {
    nlohmann::json j;
    t->status(j);
    if (!socket_error_.empty()) j["probe_error"] = socket_error_;
    auto learned = nlohmann::json::array();
    if (t->wan_index() != 0) {
      for (const auto& s : rdnss_.servers(t->wan_index(), Clock::now())) learned.push_back(s.to_string());
    }
    j["aftr"]["rdnss"] = {{"servers", std::move(learned)}, {"dropped", rdnss_.dropped()}, {"updates", rdnss_updates_}};
    list.push_back(std::move(j));
  }
  out["tunnels"] = std::move(list);
}

std::optional<TunnelHealth> Service::health(const std::string& tunnel) const {
  for (const auto& t : tunnels_) {
    if (t->name() == tunnel) return to_health(t->state());
  }
  return std::nullopt;
}

void Service::subscribe(Listener listener) { listeners_.push_back(std::move(listener)); }

void Service::publish(const std::string& tunnel, State state, const std::string& reason) {
  if (stopping_) return;
  ctx_.events.publish("tunnel", tunnel, "tunnel " + tunnel + " " + std::string(to_string(state)) + ": " + reason,
                      {{"state", to_string(state)}, {"reason", reason}});
  for (auto& l : listeners_) l(tunnel, to_health(state), reason);
}

void Service::send_probe(const IpAddress& destination, std::uint16_t identifier, std::uint16_t sequence, int ifindex) {
  auto& socket = destination.is_v4() ? icmp4_ : icmp6_;
  if (!socket || ifindex == 0) return;
  const auto packet = echo_request(destination.family(), identifier, sequence);
  if (auto ec = socket->send_to(packet, destination, ifindex)) {
    // Counted; a lost probe is what the health engine judges.
    if (send_errors_++ % 100 == 0) spdlog::debug("tunnel: probe to {} not sent: {}", destination.to_string(), ec.message());
  }
}

void Service::on_echo(Family family, const RawPacket& p) {
  auto reply = parse_echo_reply(family, p.data);
  if (!reply || !p.source) return;
  for (auto& t : tunnels_) {
    if (t->identifier() == reply->id) {
      t->on_reply(*p.source, reply->sequence);
      return;
    }
  }
}

void Service::on_nd_user_option(const NdUserOptionEvent& e) {
  if (e.icmp_type != 134) return;  // router advertisement
  auto options = parse_rdnss(e.options);
  if (options.empty()) return;
  ++rdnss_updates_;
  const auto dropped = rdnss_.dropped();
  const bool added = rdnss_.update(e.ifindex, options, Clock::now());
  if (rdnss_.dropped() != dropped && dropped / 100 != rdnss_.dropped() / 100) {
    spdlog::warn("tunnel: RDNSS on ifindex {}: {} server(s) dropped so far (at most {} kept per interface)", e.ifindex,
                 rdnss_.dropped(), RdnssTable::kPerInterface);
  }
  if (added) {
    spdlog::debug("tunnel: RDNSS on ifindex {} from {}", e.ifindex, e.router ? e.router->to_string() : "?");
    for (auto& t : tunnels_) t->on_resolvers_learned(e.ifindex);
  }
}

std::pair<std::vector<Resolver>, ResolverSource> Service::resolvers(int ifindex) {
  std::vector<Resolver> out;
  for (const auto& s : rdnss_.servers(ifindex, Clock::now())) out.push_back({s, s.is_link_local() ? ifindex : 0});
  if (!out.empty()) return {out, ResolverSource::rdnss};
  solicit_router(ifindex);
  for (const auto& a : parse_resolv_conf(read_resolv_conf())) out.push_back({a, 0});
  return {out, out.empty() ? ResolverSource::none : ResolverSource::system};
}

// RFC 4861 §4.1: a router solicitation to all-routers, so that an RA with
// RDNSS arrives now rather than at the router's next periodic advert.
void Service::solicit_router(int ifindex) {
  if (!icmp6_ || ifindex == 0) return;
  const auto now = Clock::now();
  if (auto it = solicited_.find(ifindex); it != solicited_.end() && now - it->second < kSolicitEvery) return;
  solicited_[ifindex] = now;
  ByteWriter w;
  w.u8(133);
  w.u8(0);
  w.u16(0);
  w.u32(0);
  auto all_routers = Ipv6Address::parse("ff02::2");
  if (auto ec = icmp6_->send_to(w.data(), *all_routers, ifindex)) {
    spdlog::debug("tunnel: router solicitation not sent: {}", ec.message());
  }
}

}  // namespace pairgate::tunnel
