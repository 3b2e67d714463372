#include "tunnel/tunnel.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "tunnel/local_address.h"

namespace pairgate::tunnel {

namespace {

constexpr std::chrono::seconds kMaxBackoff{60};

nlohmann::json round_ms(std::optional<double> v) {
  if (!v) return nullptr;
  return static_cast<double>(static_cast<long long>(*v * 100 + 0.5)) / 100;
}

}  // namespace

HealthSettings Tunnel::settings(const conf::Tunnel& c) {
  return {c.health.interval, c.health.timeout, c.health.down_after, c.health.up_after, c.health.targets};
}

HealthSettings Tunnel::current_settings() const {
  HealthSettings h = settings(config_);
  // The backup of a shared address has no tunnel to probe through: the
  // AFTR's answer over the WAN decides (tunnel/health.h, "without targets").
  if (shared_with_ && !held_) h.targets.clear();
  return h;
}

Tunnel::Tunnel(boost::asio::io_context& io, Netlink& netlink, LoopClock& clock, conf::Tunnel config,
               std::uint16_t identifier, TunnelHooks hooks)
    : netlink_(netlink),
      clock_(clock),
      config_(std::move(config)),
      identifier_(identifier),
      hooks_(std::move(hooks)),
      health_(settings(config_)),
      dns_(io, clock),
      health_timer_(clock.make_timer()),
      retry_timer_(clock.make_timer()),
      ttl_timer_(clock.make_timer()),
      since_(clock.now()),
      io_(io) {
  if (config_.mape) mape_ = std::make_unique<MapeState>(*config_.mape);
}

Tunnel::~Tunnel() { dns_.cancel(); }

void Tunnel::share_with(std::string instance) {
  shared_with_ = std::move(instance);
  health_.configure(current_settings());
}

void Tunnel::set_held(bool held, SteadyTime since) {
  if (!shared_with_ || held == held_) return;
  held_ = held;
  health_.configure(current_settings());
  if (held) {
    ++takeovers_;
    takeover_ = since;
    spdlog::info("tunnel {}: {} is MASTER: the shared address {} is ours; bringing the link up", config_.name,
                 *shared_with_, shared_address());
    // The path under the probes changes: failures so far say nothing of it.
    if (health_.probing()) health_.grace(clock_.now());
  } else {
    ++releases_;
    takeover_.reset();
    spdlog::info("tunnel {}: {} is no longer MASTER: the link goes, the AFTR is probed over {}", config_.name,
                 *shared_with_, config_.wan_interface);
    if (health_.probing()) health_.grace(clock_.now());
    // At once, even when reconcile() stops short (the WAN is down).
    if (started_ && (config_.local || mape_)) drop_link();
  }
  reconcile();
}

void Tunnel::takeover_step(const std::string& what) {
  if (!takeover_) return;
  const double ms = std::chrono::duration<double, std::milli>(clock_.now() - *takeover_).count();
  spdlog::info("tunnel {}: takeover +{:.1f} ms: {}", config_.name, ms, what);
}

void Tunnel::release() {
  drop_link();
  if (!health_.probing()) {
    apply(health_.start(aftr_.current(), clock_.now()));
  } else {
    health_.set_aftr(aftr_.current());
  }
}

std::string Tunnel::shared_address() const {
  if (config_.local) return config_.local->to_string();
  if (mape_ && mape_->result()) return mape_->result()->ce_ipv6.to_string();
  return "(none yet)";
}

void Tunnel::drop_link() {
  remove_route();
  if (mape_ && mape_->placed()) {
    const auto ce = *mape_->placed();
    if (auto ec = mape_->unplace(netlink_)) {
      ++address_errors_;
      spdlog::error("tunnel {}: cannot remove the CE address {} from {}: {}", config_.name, ce.to_string(),
                    config_.wan_interface, ec.message());
    } else {
      spdlog::info("tunnel {}: CE address {} removed from {}", config_.name, ce.to_string(), config_.wan_interface);
    }
  }
  const std::optional<Ipv6Address> shared = config_.local ? config_.local : local_;
  if (auto l = netlink_.ip6_tunnel(config_.name); l && shared && l->local == *shared) {
    // Ours (it carries the shared address), from now or from an earlier run.
    if (auto ec = netlink_.remove_link(l->index)) {
      spdlog::error("tunnel {}: cannot remove the link: {}", config_.name, ec.message());
    } else {
      ++link_changes_;
      spdlog::info("tunnel {}: link removed (the shared address is the master's)", config_.name);
    }
  }
  link_index_ = 0;
  ipv4_.reset();
}

void Tunnel::start() {
  started_ = true;
  if (!config_.aftr_addresses.empty()) aftr_.set_static(config_.aftr_addresses);
  if (config_.mape) {
    aftr_.set_static({config_.mape->br});
    spdlog::info("tunnel {}: starting MAP-E (wan {}, br {}, {} rule(s), prefix {})", config_.name, config_.wan_interface,
                 config_.mape->br.to_string(), config_.mape->rules.size(),
                 config_.mape->prefix ? config_.mape->prefix->to_string() : std::string("auto"));
    reconcile();
    return;
  }
  spdlog::info("tunnel {}: starting (wan {}, aftr {})", config_.name, config_.wan_interface,
               config_.aftr_name.empty() ? std::to_string(config_.aftr_addresses.size()) + " address(es)" : config_.aftr_name);
  ipip_make_updater();
  reconcile();
}

void Tunnel::stop() {
  if (!started_) return;
  started_ = false;
  health_timer_->cancel();
  retry_timer_->cancel();
  ttl_timer_->cancel();
  dns_.cancel();
  health_.halt("stopped");
  ipip_stop();
  remove_route();
  if (auto l = netlink_.ip6_tunnel(config_.name); l && l->index == link_index_ && link_index_ != 0) {
    if (auto ec = netlink_.remove_link(link_index_)) {
      spdlog::error("tunnel {}: cannot remove the link: {}", config_.name, ec.message());
    } else {
      spdlog::info("tunnel {}: link removed", config_.name);
    }
  }
  link_index_ = 0;
  ipv4_.reset();  // it went with the link
  if (mape_) {
    if (auto ce = mape_->placed(); ce && !mape_->unplace(netlink_)) {
      spdlog::info("tunnel {}: CE address {} removed from {}", config_.name, ce->to_string(), config_.wan_interface);
    }
    if (published_ && hooks_.publish_map) {
      hooks_.publish_map(config_.name, "tunnel " + config_.name + ": MAP-E mapping withdrawn (stopped)",
                         map_event_data(config_.name, *published_, false));
    }
    published_.reset();
  }
}

void Tunnel::reconfigure(const conf::Tunnel& config) {
  const conf::Tunnel before = config_;
  config_ = config;
  if (before.health != config.health) health_.configure(current_settings());
  if (before.aftr_name != config.aftr_name || before.aftr_addresses != config.aftr_addresses ||
      before.resolver != config.resolver) {
    aftr_ = AftrSet();
    ttl_timer_->cancel();
    dns_.cancel();
    if (!config_.aftr_addresses.empty()) aftr_.set_static(config_.aftr_addresses);
  }
  if (before.default_route && !config.default_route) remove_route();
  // Our route names the old address as its source: it is put in again
  // (replacing itself) once the new address is on the link.
  if (before.ipv4_address != config.ipv4_address) route_.reset();
  if (config_.mape && before.mape != config_.mape) {
    if (!mape_) mape_ = std::make_unique<MapeState>(*config_.mape);
    mape_->reconfigure(*config_.mape);
    aftr_ = AftrSet();
    aftr_.set_static({config_.mape->br});
  }
  if (before.ipip != config.ipip || before.ipv4_address != config.ipv4_address) ipip_make_updater();
  unsupported_ = false;  // a reload is the moment to try again
  blocked_.clear();
  backoff_ = std::chrono::seconds(1);
  reconcile();
  if (config_.default_route && health_.state() != State::down) install_route();
}

Ip6TunnelParams Tunnel::desired() const {
  Ip6TunnelParams p;
  p.name = config_.name;
  p.link = wan_index_;
  p.local = *local_;
  p.remote = *aftr_.current();
  p.proto = 4;  // IPPROTO_IPIP
  if (config_.encap_limit) p.encap_limit = static_cast<std::uint8_t>(*config_.encap_limit);
  p.mtu = config_.mtu;
  return p;
}

void Tunnel::halt(const std::string& reason) {
  health_timer_->cancel();
  apply(health_.halt(reason));
}

void Tunnel::reconcile() {
  if (!started_) return;
  auto wan = netlink_.link(config_.wan_interface);
  if (!wan) {
    wan_index_ = 0;
    halt("WAN interface " + config_.wan_interface + " not found");
    return;
  }
  wan_index_ = wan->index;
  if (!wan->oper_up) {
    halt("WAN interface " + config_.wan_interface + " is down");
    return;
  }
  std::optional<Ipv6Address> local = config_.local;
  if (!local && !(mape_ && !mape_->follows_wan())) {
    local = mape_ ? choose_local(wan_addresses(), wan_index_, wan_address_) : find_local();
  }
  if (mape_) {
    if (!map_step(local)) return;
    local = mape_->result()->ce_ipv6;  // the link's local end (RFC 7597 §6)
  }
  if (!local) {
    halt("waiting for a stable global IPv6 address on " + config_.wan_interface);
    return;
  }
  if (local_ && *local != *local_) {
    spdlog::info("tunnel {}: local address {} -> {} on {}; the tunnel follows", config_.name, local_->to_string(),
                 local->to_string(), config_.wan_interface);
  }
  local_ = local;
  if (!aftr_.current()) {
    if (!dns_.busy()) resolve();
    halt("resolving AFTR " + config_.aftr_name + (dns_error_.empty() ? "" : ": " + dns_error_));
    return;
  }
  if (unsupported_) {
    halt(std::string(kNoKernelSupport));
    return;
  }
  if (!blocked_.empty()) {
    halt(blocked_);
    return;
  }
  if (shared_with_ && !held_) {
    release();
    return;
  }
  if (mape_) {
    const auto before = mape_->placed();
    if (auto ec = mape_->place(netlink_, wan_index_)) {
      ++address_errors_;
      spdlog::error("tunnel {}: cannot put the CE address {}/128 on {}: {}; retrying in {} s", config_.name,
                    mape_->result()->ce_ipv6.to_string(), config_.wan_interface, ec.message(), backoff_.count());
      halt("cannot put the CE address on " + config_.wan_interface + ": " + ec.message());
      retry_in(backoff_);
      return;
    }
    if (before != mape_->placed()) {
      spdlog::info("tunnel {}: CE address {}/128 on {}", config_.name, mape_->placed()->to_string(), config_.wan_interface);
      if (hooks_.announce) hooks_.announce(wan_index_, *mape_->placed());
      takeover_step("CE address on the WAN, NA sent");
    }
  }
  const Ip6TunnelParams want = desired();
  auto have = netlink_.ip6_tunnel(config_.name);
  if (!have) {
    if (auto other = netlink_.link(config_.name)) {
      blocked_ = "a " + (other->kind.empty() ? std::string("non-tunnel") : other->kind) + " link named " +
                 config_.name + " exists; not touching it";
      spdlog::error("tunnel {}: {}", config_.name, blocked_);
      halt(blocked_);
      return;
    }
    if (auto ec = netlink_.add_ip6_tunnel(want)) {
      if (is_unsupported_kind(ec)) {
        unsupported_ = true;
        spdlog::error("tunnel {}: cannot create the link: {} ({})", config_.name, kNoKernelSupport, ec.message());
        halt(std::string(kNoKernelSupport));
        return;
      }
      spdlog::error("tunnel {}: cannot create the link: {}; retrying in {} s", config_.name, ec.message(), backoff_.count());
      halt("cannot create the link: " + ec.message());
      retry_in(backoff_);
      return;
    }
    ++link_changes_;
    spdlog::info("tunnel {}: created ip6tnl {} -> {} on {} (mtu {})", config_.name, want.local.to_string(),
                 want.remote.to_string(), config_.wan_interface, want.mtu);
    have = netlink_.ip6_tunnel(config_.name);
    if (!have) {
      halt("the link vanished after creation");
      retry_in(backoff_);
      return;
    }
  } else if (!have->same_parameters(want)) {
    // The kernel resets what it is not sent; desired() carries everything.
    if (auto ec = netlink_.change_ip6_tunnel(have->index, want)) {
      spdlog::error("tunnel {}: cannot update the link: {}; retrying in {} s", config_.name, ec.message(), backoff_.count());
      halt("cannot update the link: " + ec.message());
      retry_in(backoff_);
      return;
    }
    ++link_changes_;
    spdlog::info("tunnel {}: link updated: {} -> {} on {} (mtu {}, was {} -> {}, mtu {})", config_.name,
                 want.local.to_string(), want.remote.to_string(), config_.wan_interface, want.mtu,
                 have->local.to_string(), have->remote.to_string(), have->mtu);
    if (health_.probing()) health_.grace(clock_.now());
  }
  backoff_ = std::chrono::seconds(1);
  if (link_index_ != have->index) {
    // A new link: any route or address of ours went with the old one.
    route_.reset();
    ipv4_.reset();
  }
  link_index_ = have->index;
  if (auto info = netlink_.link(link_index_); info && !info->admin_up) {
    if (auto ec = netlink_.set_link_up(link_index_, true)) {
      spdlog::error("tunnel {}: cannot set the link up: {}", config_.name, ec.message());
    }
  }
  takeover_step("link up");
  ensure_ipv4_address();
  ipip_step();
  if (!health_.probing()) {
    apply(health_.start(aftr_.current(), clock_.now()));
  } else {
    health_.set_aftr(aftr_.current());
  }
  if (config_.default_route && health_.state() != State::down && !route_) install_route();
  if (route_) {
    takeover_step("IPv4 default route");
    takeover_.reset();
  }
}

void Tunnel::apply(HealthEffects fx) {
  for (const auto& p : fx.probes) {
    hooks_.send_probe(p.destination, identifier_, p.sequence, p.destination.is_v4() ? link_index_ : wan_index_);
  }
  if (fx.transition) {
    const auto& t = *fx.transition;
    if (t.from != t.to) {
      ++transitions_;
      since_ = clock_.now();
      auto level = t.to == State::up ? spdlog::level::info : spdlog::level::warn;
      spdlog::log(level, "tunnel {} {}: {}", config_.name, to_string(t.to), t.reason);
      if (t.to == State::down) {
        remove_route();
      } else if (config_.default_route) {
        install_route();
      }
    }
    if (started_) hooks_.publish(config_.name, t.to, t.reason);
  }
  if (fx.judged && health_.state() == State::down && health_.failures() >= config_.health.down_after &&
      health_.failures() % config_.health.down_after == 0 && aftr_.addresses().size() > 1) {
    next_aftr(std::to_string(health_.failures()) + " rounds failed");
  }
  arm_health();
}

void Tunnel::arm_health() {
  auto when = health_.deadline();
  if (!when) {
    health_timer_->cancel();
    return;
  }
  health_timer_->arm(*when, [this] { apply(health_.on_timer(clock_.now())); });
}

void Tunnel::on_reply(const IpAddress& from, std::uint16_t sequence) {
  if (!health_.probing()) return;
  apply(health_.on_reply(from, sequence, clock_.now()));
}

void Tunnel::next_aftr(const std::string& why) {
  const auto old = aftr_.current();
  const auto next = aftr_.fail();
  if (!old || !next || *old == *next) return;
  ++aftr_switches_;
  spdlog::warn("tunnel {}: AFTR {} failing ({}); moving to {}", config_.name, old->to_string(), why, next->to_string());
  reconcile();
}

void Tunnel::retry_in(std::chrono::seconds delay) {
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
  clock_.arm_after(*retry_timer_, delay, [this] { reconcile(); });
}

void Tunnel::resolve() {
  if (config_.aftr_name.empty()) return;
  std::vector<Resolver> servers;
  if (!config_.resolver.empty()) {
    for (const auto& a : config_.resolver) {
      const bool scoped = !a.is_v4() && a.v6().is_link_local();
      servers.push_back({a, scoped ? wan_index_ : 0});
    }
    resolver_source_ = ResolverSource::configured;
  } else if (hooks_.resolvers) {
    std::tie(servers, resolver_source_) = hooks_.resolvers(wan_index_);
  }
  resolvers_used_ = servers;
  if (servers.empty()) {
    dns_error_ = "no DNS server known yet (none configured, learned or in /etc/resolv.conf)";
    retry_in(backoff_);
    return;
  }
  spdlog::info("tunnel {}: resolving {} (AAAA) via {} {}", config_.name, config_.aftr_name,
               to_string(resolver_source_), servers.front().address.to_string());
  dns_.resolve(config_.aftr_name, std::move(servers),
               [this](const dns::Response& r, const std::string& error) { on_resolved(r, error); });
}

void Tunnel::on_resolved(const dns::Response& r, const std::string& error) {
  if (!started_) return;
  if (!error.empty() || r.addresses.empty()) {
    dns_error_ = error.empty() ? "no address" : error;
    const bool have = aftr_.current().has_value();
    spdlog::warn("tunnel {}: cannot resolve {}: {}{}; retrying in {} s", config_.name, config_.aftr_name, dns_error_,
                 have ? " (keeping the addresses known)" : "", backoff_.count());
    if (!have) halt("resolving AFTR " + config_.aftr_name + ": " + dns_error_);
    retry_timer_->cancel();
    clock_.arm_after(*ttl_timer_, backoff_, [this] { resolve(); });
    backoff_ = std::min(backoff_ * 2, kMaxBackoff);
    return;
  }
  dns_error_.clear();
  const auto now = clock_.now();
  std::string list;
  for (const auto& a : r.addresses) list += (list.empty() ? "" : ", ") + a.to_string();
  const bool changed = aftr_.set_resolved(r.addresses, std::chrono::seconds(r.ttl), now);
  spdlog::info("tunnel {}: {} is {} (TTL {} s){}", config_.name, config_.aftr_name, list, r.ttl,
               changed ? "; using " + aftr_.current()->to_string() : "");
  ttl_timer_->arm(*aftr_.expires(), [this] { resolve(); });
  if (changed) reconcile();
}

void Tunnel::on_resolvers_learned(int ifindex) {
  if (started_ && ifindex == wan_index_ && !aftr_.current() && config_.resolver.empty() &&
      resolver_source_ != ResolverSource::rdnss) {
    dns_.cancel();
    retry_timer_->cancel();
    resolve();
  }
}

// RFC 6333 §5.7: the B4's own IPv4 address on the softwire (192.0.0.2/29
// unless configured otherwise), so that this host's own packets through the
// tunnel — the health probes first of all — have a source even when the
// host has no other IPv4 address.
void Tunnel::ensure_ipv4_address() {
  // type mape: the CE's IPv4 address from the mapping (RFC 7597 §5.2).
  const std::optional<IpPrefix> want =
      mape_ ? (mape_->result() ? std::optional<IpPrefix>(mape_->result()->ipv4) : std::nullopt) : config_.ipv4_address;
  if (ipv4_ == want) return;
  if (ipv4_) {
    // The kernel drops the routes whose source it was: ours is put in again.
    route_.reset();
    if (auto ec = netlink_.remove_address(link_index_, *ipv4_)) {
      ++address_errors_;
      spdlog::warn("tunnel {}: cannot remove {} from the link: {}", config_.name, ipv4_->to_string(), ec.message());
    } else {
      spdlog::info("tunnel {}: {} removed from the link", config_.name, ipv4_->to_string());
    }
    ipv4_.reset();
  }
  if (!want) return;
  if (auto ec = netlink_.add_address(link_index_, *want, {})) {
    ++address_errors_;
    spdlog::error("tunnel {}: cannot put {} on the link: {}; probes and this host's own traffic may have no source",
                  config_.name, want->to_string(), ec.message());
    return;
  }
  ipv4_ = want;
  spdlog::info("tunnel {}: {} on the link", config_.name, want->to_string());
}

void Tunnel::install_route() {
  if (route_ || link_index_ == 0) return;
  RouteInfo ours;
  ours.destination = IpPrefix(Ipv4Address(), 0);
  ours.oif = link_index_;
  ours.metric = 0;
  // This host's own traffic leaves from the B4 address (RFC 6333 §5.7).
  if (ipv4_) ours.source = ipv4_->address();
  for (const auto& r : netlink_.routes(Family::ipv4, 254)) {
    if (r.destination.length() == 0 && r.metric == ours.metric && r.oif != link_index_) previous_route_ = r;
  }
  // Replace: at the same metric ours takes the place of the previous default.
  if (auto ec = netlink_.add_route(ours, true)) {
    ++route_errors_;
    spdlog::error("tunnel {}: cannot add the default route: {}", config_.name, ec.message());
    return;
  }
  route_ = ours;
  spdlog::info("tunnel {}: IPv4 default route through the tunnel{}", config_.name,
               previous_route_ ? " (replacing the one via " +
                                     (previous_route_->gateway ? previous_route_->gateway->to_string() : std::string("its link")) + ")"
                               : "");
}

void Tunnel::remove_route() {
  if (route_) {
    if (auto ec = netlink_.remove_route(*route_)) {
      ++route_errors_;
      spdlog::warn("tunnel {}: cannot remove the default route: {}", config_.name, ec.message());
    }
    route_.reset();
    spdlog::info("tunnel {}: default route through the tunnel removed", config_.name);
  }
  restore_previous_route();
}

// The default route ours replaced goes back. The kernel refuses it while
// its interface is down (a WAN flap takes the tunnel DOWN that way): it is
// kept and tried again when that interface comes back up, and on stop.
void Tunnel::restore_previous_route() {
  if (!previous_route_ || route_) return;
  if (auto ec = netlink_.add_route(*previous_route_, true)) {
    if (!restore_failing_) {
      spdlog::warn("tunnel {}: cannot restore the previous default route: {}; trying again when its interface is up",
                   config_.name, ec.message());
    }
    restore_failing_ = true;
    return;
  }
  spdlog::info("tunnel {}: previous default route restored", config_.name);
  previous_route_.reset();
  restore_failing_ = false;
}

void Tunnel::on_link(const LinkEvent& e) {
  if (!started_) return;
  if (previous_route_ && !route_ && !e.removed && e.link.oper_up && e.link.index == previous_route_->oif) {
    restore_previous_route();
  }
  if (e.link.name == config_.wan_interface || (wan_index_ != 0 && e.link.index == wan_index_)) {
    if (e.removed || !e.link.oper_up) {
      if (health_.probing() || wan_index_ != 0) {
        halt("WAN interface " + config_.wan_interface + (e.removed ? " removed" : " is down"));
      }
      if (e.removed) wan_index_ = 0;
      return;
    }
    if (!health_.probing()) reconcile();
    return;
  }
  if (e.link.name == config_.name || (link_index_ != 0 && e.link.index == link_index_)) {
    if (e.removed && e.link.index == link_index_) {
      spdlog::warn("tunnel {}: the link was removed by someone else; creating it again", config_.name);
      link_index_ = 0;
      route_.reset();
      halt("the link was removed");
      reconcile();
    } else if (!e.removed && !blocked_.empty() && e.link.kind == "ip6tnl") {
      blocked_.clear();
      reconcile();
    } else if (e.removed && !blocked_.empty()) {
      blocked_.clear();
      reconcile();
    }
  }
}

void Tunnel::on_address(const AddressEvent& e) {
  if (!started_) return;
  if (link_index_ != 0 && e.address.ifindex == link_index_) {
    // Someone took the B4 address away; the kernel dropped the routes whose
    // source it was. Both are put back.
    if (e.removed && ipv4_ && e.address.prefix == *ipv4_) {
      spdlog::warn("tunnel {}: {} was removed from the link; putting it back", config_.name, ipv4_->to_string());
      ipv4_.reset();
      route_.reset();
      reconcile();
    }
    return;
  }
  if (mape_ && e.address.ifindex == wan_index_ && mape_->placed() &&
      e.address.prefix == IpPrefix(IpAddress(*mape_->placed()), 128)) {
    // Our CE address: put back when someone else removed it.
    if (e.removed) {
      spdlog::warn("tunnel {}: CE address {} was removed from {}; putting it back", config_.name,
                   mape_->placed()->to_string(), config_.wan_interface);
      mape_->forget_placed();
      reconcile();
    }
    return;
  }
  if (ipip_on_address(e)) return;
  if (config_.local || e.address.ifindex != wan_index_ || e.address.prefix.family() != Family::ipv6) return;
  if (mape_ && !mape_->follows_wan()) return;
  auto& current = mape_ ? wan_address_ : local_;
  const auto chosen = mape_ ? choose_local(wan_addresses(), wan_index_, current) : find_local();
  if (chosen == current && health_.probing()) return;
  if (!chosen) {
    spdlog::warn("tunnel {}: no stable global IPv6 address left on {}", config_.name, config_.wan_interface);
    current.reset();
  }
  reconcile();
}

void Tunnel::on_resync() { reconcile(); }

std::vector<AddressInfo> Tunnel::wan_addresses() {
  auto all = netlink_.addresses(wan_index_, Family::ipv6);
  return mape_ ? mape_->without_ours(std::move(all)) : all;
}

bool Tunnel::map_step(const std::optional<Ipv6Address>& wan) {
  if (mape_->follows_wan()) {
    if (!wan) {
      halt("waiting for a stable global IPv6 address on " + config_.wan_interface);
      return false;
    }
    wan_address_ = wan;
  }
  if (mape_->compute(wan)) {
    ++map_changes_;
    if (const auto& r = mape_->result()) {
      spdlog::info("tunnel {}: MAP-E from {}: rule {}, CE {} PSID {} ({} bits), {} port set(s), {} ports, CE IPv6 {}",
                   config_.name, mape_->delegated()->to_string(), r->rule_index, r->ipv4.to_string(), r->psid,
                   r->psid_length, r->port_sets.size(), r->port_count(), r->ce_ipv6.to_string());
    } else {
      spdlog::error("tunnel {}: no MAP-E mapping for {}: {}", config_.name, mape_->delegated()->to_string(),
                    mape_->error());
    }
    publish_map();
  }
  if (!mape_->result()) {
    drop_link();
    halt(mape_->error().empty() ? "no MAP-E mapping" : mape_->error());
    return false;
  }
  return true;
}

void Tunnel::publish_map() {
  const auto& r = mape_->result();
  if (!hooks_.publish_map) {
    published_ = r;
    return;
  }
  if (r) {
    published_ = *r;
    hooks_.publish_map(config_.name,
                       "tunnel " + config_.name + ": MAP-E CE " + r->ipv4.to_string() + " PSID " + std::to_string(r->psid) +
                           ", " + std::to_string(r->port_sets.size()) + " port set(s), CE IPv6 " + r->ce_ipv6.to_string(),
                       map_event_data(config_.name, *r, true));
  } else if (published_) {
    hooks_.publish_map(config_.name, "tunnel " + config_.name + ": MAP-E mapping withdrawn: " + mape_->error(),
                       map_event_data(config_.name, *published_, false));
    published_.reset();
  }
}

void Tunnel::status(nlohmann::json& out) const {
  nlohmann::json aftr = {{"addresses", nlohmann::json::array()}, {"index", aftr_.index()}};
  if (!config_.aftr_name.empty()) {
    aftr["name"] = config_.aftr_name;
    aftr["resolver_source"] = to_string(resolver_source_);
    auto used = nlohmann::json::array();
    for (const auto& r : resolvers_used_) used.push_back(r.address.to_string());
    aftr["resolvers"] = std::move(used);
    if (!dns_error_.empty()) aftr["error"] = dns_error_;
    if (auto e = aftr_.expires()) {
      aftr["expires_in_s"] = std::chrono::duration_cast<std::chrono::seconds>(*e - clock_.now()).count();
    }
    aftr["dns_queries"] = dns_.queries();
    nlohmann::json ignored = nlohmann::json::object();
    for (std::size_t i = 0; i < kIgnoredKinds; ++i) ignored[std::string(to_string(static_cast<Ignored>(i)))] = dns_.ignored(static_cast<Ignored>(i));
    aftr["dns_ignored"] = std::move(ignored);
  }
  for (const auto& a : aftr_.addresses()) aftr["addresses"].push_back(a.to_string());
  const auto& c = health_.counters();
  nlohmann::json health = {{"last_rtt_ms", round_ms(health_.last_rtt_ms())},
                           {"failures", health_.failures()},
                           {"aftr_rtt_ms", round_ms(health_.aftr_rtt_ms())},
                           {"aftr_failures", health_.aftr_failures()},
                           {"interval_ms", std::chrono::duration_cast<std::chrono::milliseconds>(config_.health.interval).count()},
                           {"rounds", c.rounds},
                           {"probes_sent", c.probes_sent},
                           {"replies", c.replies},
                           {"late_replies", c.late_replies}};
  auto targets = nlohmann::json::array();
  for (const auto& t : config_.health.targets) targets.push_back(t.to_string());
  health["targets"] = std::move(targets);
  out = {{"name", config_.name},
         {"type", config_.type},
         {"state", to_string(health_.state())},
         {"reason", health_.reason()},
         {"since_s", std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - since_).count()},
         {"wan_interface", config_.wan_interface},
         {"local", local_ ? nlohmann::json(local_->to_string()) : nlohmann::json(nullptr)},
         {"remote", aftr_.current() ? nlohmann::json(aftr_.current()->to_string()) : nlohmann::json(nullptr)},
         {"ifindex", link_index_},
         {"mtu", config_.mtu},
         {"ipv4_address", ipv4_ ? nlohmann::json(ipv4_->to_string()) : nlohmann::json(nullptr)},
         {"default_route", route_.has_value()},
         {"shared_with", shared_with_ ? nlohmann::json(*shared_with_) : nlohmann::json(nullptr)},
         {"held", shared_with_ ? nlohmann::json(held_) : nlohmann::json(nullptr)},
         {"aftr", std::move(aftr)},
         {"health", std::move(health)},
         {"counters",
          {{"transitions", transitions_},
           {"link_changes", link_changes_},
           {"aftr_switches", aftr_switches_},
           {"route_errors", route_errors_},
           {"address_errors", address_errors_},
           {"takeovers", takeovers_},
           {"releases", releases_}}}};
  if (mape_) {
    out["map"] = mape_->result() ? map_status(*mape_->result(), *mape_->delegated()) : nlohmann::json(nullptr);
    if (!mape_->error().empty()) out["map_error"] = mape_->error();
    out["counters"]["map_changes"] = map_changes_;
    // firewall/map_usage fills out["map"]["usage"] (port-set use, insert_failed) from the service.
  }
  ipip_status(out);
}

}  // namespace pairgate::tunnel
