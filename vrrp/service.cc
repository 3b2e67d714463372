#include "vrrp/service.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <netinet/in.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "conf/diff.h"
#include "core/arp.h"
#include "core/byte_io.h"
#include "core/events.h"
#include "core/nd.h"
#include "vrrp/accept_mode.h"
#include "vrrp/addresses.h"
#include "vrrp/metrics.h"

namespace pairgate::vrrp {

namespace asio = boost::asio;

struct Service::Router {
  explicit Router(asio::io_context& io) : timer(io), garp_timer(io) {}
  conf::VrrpInstance config;
  std::unique_ptr<Instance> engine;
  Family family = Family::ipv4;  // of the virtual addresses, the adverts and the primary address
  int ifindex = 0;
  MacAddress mac;
  asio::steady_timer timer;
  asio::steady_timer garp_timer;
  std::optional<RawSocket> arp;
  std::uint64_t addresses_restored = 0;
  std::uint64_t stale_addresses_removed = 0;
  std::uint64_t garp_sent = 0;
  LogLimit send_log;  // "cannot send an advert": one line a minute
  Duration logged_interval{};  // the last Master_Adver_Interval logged as differing from ours
  bool propagating = false;
  std::string reason;  // of the last transition
  std::chrono::system_clock::time_point changed_at{};
};

namespace {

// ", N more since the last report" for a rate-limited log line.
std::string held_back(std::uint64_t n) {
  return n ? " (" + std::to_string(n) + " more since the last report)" : std::string();
}

Family family_of(const conf::VrrpInstance& c) {
  return !c.virtual_addresses.empty() && !c.virtual_addresses.front().address().is_v4() ? Family::ipv6 : Family::ipv4;
}

// No address: 0.0.0.0 or ::.
IpAddress none(Family f) { return f == Family::ipv4 ? IpAddress(Ipv4Address()) : IpAddress(Ipv6Address()); }

std::string millis(Duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

InstanceConfig engine_config(const conf::VrrpInstance& c) {
  InstanceConfig e;
  e.name = c.name;
  e.version = static_cast<std::uint8_t>(c.version);
  e.vrid = VrId{static_cast<std::uint8_t>(c.vrid)};
  e.priority = Priority{static_cast<std::uint8_t>(c.priority)};
  e.advert_interval = c.advert_interval;
  e.preempt = c.preempt;
  e.preempt_delay = c.preempt_delay;
  e.virtual_addresses = advertised_addresses(e.vrid, c.virtual_addresses);
  e.excluded_addresses = c.excluded_addresses;
  e.unicast_peers = c.unicast_peers;
  if (!c.auth_pass.empty()) {
    e.auth_type = AuthType::simple;
    e.auth_data = simple_auth_data(c.auth_pass);
  }
  return e;
}



}  // namespace

Service::Service(ModuleContext ctx, TunnelHealthSource* tunnels) : ctx_(ctx), tunnels_(tunnels), stop_timer_(ctx.io) {
  metrics_id_ = ctx_.metrics.add([this](MetricSet& out) { collect(out); });
}

Service::~Service() {
  ctx_.metrics.remove(metrics_id_);
  if (subscription_) ctx_.netlink.unsubscribe(*subscription_);
}

void Service::start(const conf::Config& config) {
  config_ = config;
  if (!notifier_) {
    notifier_ = std::make_unique<Notifier>(ctx_.io, config.node);
    // Programs and mail follow the event stream's order (the transition is
    // published below, in execute()).
    notifier_->follow(ctx_.events);
  }
  notifier_->configure(config.notify);
  if (!config.vrrp || config.vrrp->instances.empty()) return;
  // The IPv4 socket always (it also says at start-up whether raw sockets
  // can be had at all); the IPv6 one once an IPv6 instance wants it.
  if (socket_for(Family::ipv4) == nullptr) throw std::runtime_error("vrrp: cannot open a raw IPv4 socket for protocol 112");
  subscription_ = ctx_.netlink.subscribe({.on_link = [this](const LinkEvent& e) { on_link(e); },
                                          .on_address = [this](const AddressEvent& e) { on_address(e); },
                                          .on_resync = [this] {
                                            // Address events may have been missed too.
                                            for (auto& r : routers_) {
                                              if (r->ifindex != 0) update_primary(*r);
                                              retrack(*r, "netlink resync");
                                            }
                                          }});
  if (tunnels_ != nullptr) {
    tunnels_->subscribe([this](const std::string& tunnel, TunnelHealth, const std::string& reason) {
      tunnel_reasons_[tunnel] = reason;
      for (auto& r : routers_) {
        for (const auto& t : r->config.track) {
          if (t.kind == conf::Track::Kind::tunnel && t.name == tunnel) retrack(*r, reason);
        }
      }
    });
  }
  for (const auto& c : config.vrrp->instances) routers_.push_back(make_router(c));
  apply_accept_mode();
  for (auto& r : routers_) {
    retrack(*r, "startup");
    remove_stale_addresses(*r);
    execute(*r, r->engine->startup(now()));
  }
}

// A run that died as master (SIGKILL, a crash, a power cut with a
// persistent address config) leaves its virtual addresses on the
// interface. Until this router is master again they are the master's, so
// they go before the first state is entered; the owner's (priority 255) stay.
void Service::remove_stale_addresses(Router& r) {
  if (r.ifindex == 0 || r.engine->config().priority.owner()) return;
  auto mine = r.engine->config().virtual_addresses;
  mine.insert(mine.end(), r.config.excluded_addresses.begin(), r.config.excluded_addresses.end());
  for (const auto& a : ctx_.netlink.addresses(r.ifindex)) {
    const bool stale = std::any_of(mine.begin(), mine.end(), [&](const IpPrefix& p) { return p.address() == a.prefix.address(); });
    if (!stale) continue;
    if (auto ec = ctx_.netlink.remove_address(r.ifindex, a.prefix)) {
      spdlog::error("({}) cannot remove {} left by a previous run: {}", r.config.name, a.prefix.to_string(), ec.message());
      continue;
    }
    ++r.stale_addresses_removed;
    spdlog::warn("({}) removed virtual address {} left on {} by a previous run", r.config.name, a.prefix.to_string(),
                 r.config.interface);
  }
}

void Service::apply_accept_mode() {
  std::vector<NoAccept> entries;
  if (!stopping_) {
    for (const auto& r : routers_) {
      // RFC 5798 §6.4.3: the address owner accepts whatever Accept_Mode says.
      if (r->config.accept_mode || r->engine->config().priority.owner()) continue;
      NoAccept e{r->config.name, {}};
      for (const auto& p : r->engine->config().virtual_addresses) e.addresses.push_back(p.address());
      entries.push_back(std::move(e));
    }
  }
  const std::string script = render_accept_script(entries);
  if (script == accept_applied_) return;
  if (!nft_) {
    try {
      nft_ = firewall::make_libnftables();
    } catch (const std::exception& e) {
      accept_error_ = e.what();
      spdlog::error("vrrp: accept_mode false cannot be enforced: {}", accept_error_);
      return;
    }
  }
  auto r = nft_->run(script.empty() ? render_accept_delete() : script);
  if (!r) {
    accept_error_ = r.error();
    spdlog::error("vrrp: nft refused table inet {}: {}", kAcceptTable, accept_error_);
    return;
  }
  accept_error_.clear();
  spdlog::info("vrrp: table inet {} {}", kAcceptTable, script.empty() ? "removed" : "applied (accept_mode false)");
  accept_applied_ = script;
}

RawSocket* Service::socket_for(Family family) {
  auto& slot = family == Family::ipv4 ? socket_ : socket6_;
  if (slot) return &*slot;
  try {
    slot.emplace(RawSocket::ip(ctx_.io, family, kProtocol));
  } catch (const std::exception& e) {
    spdlog::error("vrrp: {}", e.what());
    return nullptr;
  }
  // RFC 5798 §5.1.1.3 / §5.1.2.3: TTL and hop limit 255, to the group and
  // to unicast peers alike.
  slot->set_multicast_hops(kTtl);
  slot->set_unicast_hops(kTtl);
  slot->set_multicast_loop(false);
  slot->start([this](const RawPacket& p) { on_packet(p); });
  return &*slot;
}

std::unique_ptr<Service::Router> Service::make_router(const conf::VrrpInstance& c) {
  auto r = std::make_unique<Router>(ctx_.io);
  r->config = c;
  r->family = family_of(c);
  r->engine = std::make_unique<Instance>(engine_config(c), none(r->family));
  if (socket_for(r->family) == nullptr) spdlog::error("({}) no raw socket: this instance cannot advertise", c.name);
  bind_interface(*r);
  return r;
}

// Finds the interface, its MAC and its primary address (the adverts'
// source and tie-breaker); joins 224.0.0.18 or ff02::12 there unless the
// instance speaks to unicast peers only.
void Service::bind_interface(Router& r) {
  auto link = ctx_.netlink.link(r.config.interface);
  if (!link) {
    r.ifindex = 0;
    return;
  }
  const bool changed = r.ifindex != link->index;
  r.ifindex = link->index;
  r.mac = link->mac;
  update_primary(r);
  RawSocket* socket = socket_for(r.family);
  if (changed && socket != nullptr) {
    const IpAddress group = multicast_group(r.family);
    if (r.config.unicast_peers.empty()) {
      if (auto ec = socket->join_multicast(r.ifindex, group); ec && ec.value() != EADDRINUSE) {
        spdlog::warn("({}) cannot join {} on {}: {}", r.config.name, group.to_string(), r.config.interface, ec.message());
      }
    }
    try {
      r.arp.emplace(RawSocket::packet_sender(ctx_.io, r.ifindex, ETH_P_ARP));
    } catch (const std::exception& e) {
      spdlog::warn("({}) no gratuitous ARP on {}: {}", r.config.name, r.config.interface, e.what());
    }
  }
}

// RFC 3768 §5.2.2 / RFC 5798 §5.1.1.1: an IPv4 advert's source is "the
// primary IPv4 address of the interface". The one in use stays while the
// interface has it; otherwise the first primary (not IFA_F_SECONDARY) IPv4
// address, else the first at all, never a virtual address of any instance
// nor a host-scope one.
// RFC 5798 §5.1.2.1: an IPv6 advert's source is "the IPv6 link-local
// address of the interface": the one in use while it stays, else the first
// that is not tentative (DAD done) and no virtual address.
// None leaves 0.0.0.0 or ::, which tracking turns into FAULT. Returns
// whether it changed.
bool Service::update_primary(Router& r) {
  const IpAddress before = r.engine->primary();
  auto is_virtual = [&](const IpAddress& a) {
    for (const auto& other : routers_) {
      for (const auto& v : other->engine->config().virtual_addresses) {
        if (v.address() == a) return true;
      }
    }
    for (const auto& v : r.engine->config().virtual_addresses) {
      if (v.address() == a) return true;
    }
    return false;
  };
  std::optional<IpAddress> keep, primary, secondary;
  for (const auto& a : ctx_.netlink.addresses(r.ifindex, r.family)) {
    const IpAddress& addr = a.prefix.address();
    if (addr.family() != r.family || is_virtual(addr)) continue;
    if (r.family == Family::ipv4) {
      if (a.scope == RT_SCOPE_HOST || a.scope == RT_SCOPE_NOWHERE) continue;
    } else if (!addr.v6().is_link_local() || (a.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))) {
      continue;
    }
    if (addr == before) keep = addr;
    if (a.flags & IFA_F_SECONDARY) {
      if (!secondary) secondary = addr;
    } else if (!primary) {
      primary = addr;
    }
  }
  const IpAddress now_primary = keep ? *keep : primary ? *primary : secondary ? *secondary : none(r.family);
  if (now_primary == before) return false;
  r.engine->set_primary(now_primary);
  if (before != none(r.family)) {
    spdlog::info("({}) primary address on {}: {} -> {}", r.config.name, r.config.interface, before.to_string(),
                 now_primary == none(r.family) ? std::string("none") : now_primary.to_string());
  }
  return true;
}

Service::Router* Service::find(int ifindex, std::uint8_t vrid, Family family) {
  for (auto& r : routers_) {
    if (r->ifindex == ifindex && r->config.vrid == vrid && r->family == family) return r.get();
  }
  return nullptr;
}

Service::Router* Service::find(const std::string& name) {
  for (auto& r : routers_) {
    if (r->config.name == name) return r.get();
  }
  return nullptr;
}

void Service::on_packet(const RawPacket& p) {
  if (stopping_) return;
  // IPv4 raw sockets read the IP header; IPv6 ones the payload, with the
  // addresses and the hop limit beside it.
  const bool v6 = p.source && !p.source->is_v4();
  auto rec = !v6 ? parse_datagram(p.data)
             : p.destination ? parse_packet(p.data, {*p.source, *p.destination}, p.hop_limit)
                             : std::expected<Received, Drop>(std::unexpected(Drop::ip_header_err));
  if (!rec) {
    ++interface_counters_[p.ifindex].drops[static_cast<std::size_t>(rec.error())];
    log_drop("vrrp: ifindex " + std::to_string(p.ifindex), rec.error());
    return;
  }
  Router* r = find(p.ifindex, rec->advert.vrid.value, v6 ? Family::ipv6 : Family::ipv4);
  if (r == nullptr) {
    // §7.1: the VRID is not configured on the receiving interface.
    ++unknown_vrid_;
    return;
  }
  const auto before = r->engine->counters().drops;
  auto effects = r->engine->on_advert(now(), *rec);
  const auto& after = r->engine->counters().drops;
  for (std::size_t i = 0; i < kDropKinds; ++i) {
    if (after[i] != before[i] && static_cast<Drop>(i) != Drop::own_advert) {
      log_drop("(" + r->config.name + ") from " + rec->source.to_string(), static_cast<Drop>(i));
    }
  }
  // RFC 5798 §6.4.2: the backup took the master's interval; say so once
  // per change when it is not ours, as keepalived does.
  const Duration learned = r->engine->master_adver_interval();
  if (learned != r->logged_interval) {
    if (learned != r->engine->config().advert_interval) {
      spdlog::info("({}) advertisement interval changed: mine={} milli-sec, rcved={} milli-sec", r->config.name,
                   millis(r->engine->config().advert_interval), millis(learned));
    }
    r->logged_interval = learned;
  }
  execute(*r, std::move(effects));
}

// One line per source and reason per minute, with what was not logged.
void Service::log_drop(const std::string& who, Drop d) {
  if (auto held = drop_log_[{who, d}].admit(now())) spdlog::warn("{} advert dropped: {}{}", who, to_string(d), held_back(*held));
}

void Service::on_link(const LinkEvent& e) {
  for (auto& r : routers_) {
    bool relevant = e.link.name == r->config.interface || e.link.index == r->ifindex;
    for (const auto& t : r->config.track) relevant |= t.kind == conf::Track::Kind::interface && t.name == e.link.name;
    if (!relevant) continue;
    if (e.link.name == r->config.interface && !e.removed) bind_interface(*r);
    if (e.removed && e.link.index == r->ifindex) r->ifindex = 0;
    retrack(*r, "link " + e.link.name + (e.removed ? " removed" : e.link.oper_up ? " up" : " down"));
  }
}

void Service::on_address(const AddressEvent& e) {
  if (stopping_) return;
  for (auto& r : routers_) {
    if (e.address.ifindex != r->ifindex) continue;
    // An address came (the primary may be missing) or the primary went:
    // choose again, and let tracking see it (no address -> FAULT, one -> out
    // of FAULT at once).
    const auto& a = e.address.prefix.address();
    // (IPv6: a link-local address also comes again when its DAD is done.)
    if (a.family() == r->family &&
        (e.removed ? a == r->engine->primary() : r->engine->primary() == none(r->family) || !a.is_v4()) &&
        update_primary(*r)) {
      retrack(*r, "address " + e.address.prefix.to_string() + (e.removed ? " removed from " : " added to ") +
                      r->config.interface);
    }
    if (!e.removed) continue;
    if (r->engine->state() != State::master) continue;
    std::vector<IpPrefix> mine = r->engine->config().virtual_addresses;
    mine.insert(mine.end(), r->config.excluded_addresses.begin(), r->config.excluded_addresses.end());
    if (std::find(mine.begin(), mine.end(), e.address.prefix) == mine.end()) continue;
    // Somebody else removed our address while we are master: put it back
    // (keepalived drops to BACKUP instead and the address is gone until the
    // next election).
    ++r->addresses_restored;
    spdlog::warn("({}) virtual address {} was removed by someone else; restoring it", r->config.name,
                 e.address.prefix.to_string());
    execute(*r, {AddAddresses{{e.address.prefix}}, SendGratuitousArp{{e.address.prefix}}});
  }
}

void Service::retrack(Router& r, const std::string& why) {
  std::vector<TrackItem> items;
  auto own = r.ifindex != 0 ? ctx_.netlink.link(r.ifindex) : std::nullopt;
  if (!own) {
    items.push_back({std::nullopt, true, "interface " + r.config.interface + " not found"});
  } else if (!own->oper_up) {
    items.push_back({std::nullopt, true, "interface " + r.config.interface + " down"});
  } else if (r.engine->primary() == none(r.family)) {
    items.push_back({std::nullopt, true,
                     std::string(r.family == Family::ipv4 ? "no IPv4 address" : "no IPv6 link-local address") + " on " +
                         r.config.interface});
  }
  for (const auto& t : r.config.track) {
    if (t.kind == conf::Track::Kind::interface) {
      auto l = ctx_.netlink.link(t.name);
      items.push_back({t.weight, !l || !l->oper_up, "interface " + t.name + (l ? " down" : " not found")});
    } else if (tunnels_ != nullptr) {
      auto h = tunnels_->health(t.name);
      auto why = tunnel_reasons_.find(t.name);
      items.push_back({t.weight, h && *h == TunnelHealth::down,
                       "tunnel " + t.name + " DOWN" + (why != tunnel_reasons_.end() && !why->second.empty() ? ": " + why->second : "")});
    }
  }
  const TrackOutcome o = evaluate(items);
  Effects effects = r.engine->set_priority_delta(now(), o.delta);
  auto f = r.engine->set_fault(now(), o.fault, o.fault ? o.reason : why);
  effects.insert(effects.end(), f.begin(), f.end());
  execute(r, std::move(effects));
}

void Service::execute(Router& r, Effects effects) {
  // A transition is published, and followed by the sync group, after this
  // instance's own effects: at a takeover its addresses are on and
  // announced (a shared B4 address, then its neighbour adverts) before the
  // tunnel module hears of it and brings its link and route up, and only
  // then do the other instances of the group (the LAN's GARP) follow.
  std::optional<StateChanged> changed;
  TimePoint changed_at{};
  auto step = [&](const std::string& what) {
    if (!changed || changed->to != State::master) return;
    spdlog::info("({}) takeover +{:.1f} ms: {}", r.config.name,
                 std::chrono::duration<double, std::milli>(now() - changed_at).count(), what);
  };
  for (auto& effect : effects) {
    if (auto* s = std::get_if<SendAdvert>(&effect)) {
      const std::error_code ec = send_advert(r, *s);
      r.engine->on_send_result(*s, !ec);
      if (ec) {
        if (auto held = r.send_log.admit(now())) {
          spdlog::warn("({}) cannot send an advert on {}: {}{}", r.config.name, r.config.interface, ec.message(),
                       held_back(*held));
        }
      }
    } else if (auto* add = std::get_if<AddAddresses>(&effect)) {
      for (const auto& p : add->addresses) {
        AddressOptions o;
        if (!p.address().is_v4()) o.flags = IFA_F_NODAD;
        if (auto ec = ctx_.netlink.add_address(r.ifindex, p, o)) {
          spdlog::error("({}) cannot add {} to {}: {}", r.config.name, p.to_string(), r.config.interface, ec.message());
        }
      }
      step(std::to_string(add->addresses.size()) + " address(es) added");
    } else if (auto* rm = std::get_if<RemoveAddresses>(&effect)) {
      for (const auto& p : rm->addresses) {
        if (auto ec = ctx_.netlink.remove_address(r.ifindex, p)) {
          spdlog::error("({}) cannot remove {} from {}: {}", r.config.name, p.to_string(), r.config.interface, ec.message());
        }
      }
    } else if (auto* g = std::get_if<SendGratuitousArp>(&effect)) {
      const auto before = r.garp_sent;
      garp(r, g->addresses, r.config.garp.repeat);
      schedule_garp(r);
      step(std::to_string(r.garp_sent - before) + " gratuitous ARP / unsolicited NA sent on " + r.config.interface);
    } else if (auto* t = std::get_if<StateChanged>(&effect)) {
      spdlog::info("({}) Entering {} STATE: {}", r.config.name, to_string(t->to), t->reason);
      if (changed) announce(r, *changed, changed_at);
      changed = *t;
      changed_at = now();
      r.reason = t->reason;
      r.changed_at = std::chrono::system_clock::now();
    }
  }
  if (changed) announce(r, *changed, changed_at);
  arm(r);
}

void Service::announce(Router& r, const StateChanged& t, TimePoint at) {
  ctx_.events.publish("vrrp", r.config.name,
                      "(" + r.config.name + ") Entering " + std::string(to_string(t.to)) + " STATE: " + t.reason,
                      {{"from", to_string(t.from)},
                       {"to", to_string(t.to)},
                       {"reason", t.reason},
                       {"interface", r.config.interface},
                       {"vrid", r.config.vrid},
                       {"priority", r.engine->effective_priority().value},
                       // The transition on the steady clock, for takeover step timings.
                       {"monotonic_ms", std::chrono::duration<double, std::milli>(at.time_since_epoch()).count()}});
  if (t.to == State::master || t.to == State::backup || t.to == State::fault) propagate(r, t.to, t.reason);
}

std::error_code Service::send_advert(Router& r, const SendAdvert& s) {
  RawSocket* socket = r.family == Family::ipv4 ? (socket_ ? &*socket_ : nullptr) : (socket6_ ? &*socket6_ : nullptr);
  if (socket == nullptr || r.ifindex == 0) return std::make_error_code(std::errc::no_such_device);
  const Instance& e = *r.engine;
  // RFC 3768 §5.2.2 / RFC 5798 §5.1.1.1, §5.1.2.1: from the primary
  // address (IPv4) or the link-local one (IPv6), which is also the
  // tie-breaker of §6.4.3; left to the kernel it may pick another.
  const IpAddress primary = e.primary();
  const bool unset = primary == none(r.family);
  // The v3 checksum covers the source: without one, nothing can be sent.
  if (unset && e.config().version == 3) return std::make_error_code(std::errc::address_not_available);
  Advert a;
  a.version = e.config().version;
  a.vrid = e.config().vrid;
  a.priority = s.priority;
  a.interval = std::chrono::duration_cast<Centiseconds>(e.config().advert_interval);
  a.auth_type = e.config().auth_type;
  a.auth_data = e.config().auth_data;
  for (const auto& p : e.config().virtual_addresses) a.addresses.push_back(p.address());
  const std::optional<IpAddress> source = unset ? std::nullopt : std::optional<IpAddress>(primary);
  // Unicast peers (keepalived's unicast_peer): one copy to each, else one
  // to the group. The first error is the answer; the rest are still sent.
  std::error_code first;
  auto send_one = [&](const IpAddress& to) {
    auto ec = socket->send_to(build_advert(a, {primary, to}), to, r.ifindex, source);
    if (ec && !first) first = ec;
  };
  if (e.config().unicast_peers.empty()) {
    send_one(multicast_group(r.family));
  } else {
    for (const auto& peer : e.config().unicast_peers) send_one(peer);
  }
  return first;
}

void Service::arm(Router& r) {
  auto deadline = r.engine->next_deadline();
  if (!deadline) {
    r.timer.cancel();
    return;
  }
  r.timer.expires_at(*deadline);
  r.timer.async_wait([this, &r](boost::system::error_code ec) {
    if (ec || stopping_) return;
    if (r.engine->state() == State::backup) {
      // Adverts that came while the loop was not scheduled are read first:
      // a Master_Down_Timer must not fire on a master whose adverts are
      // already queued (at 100 ms, a 400 ms stall of this process would
      // otherwise be a false failover). They may move the deadline.
      if (RawSocket* socket = r.family == Family::ipv4 ? (socket_ ? &*socket_ : nullptr) : (socket6_ ? &*socket6_ : nullptr)) {
        socket->poll();
      }
      if (stopping_ || r.engine->state() != State::backup) return;
      if (auto d = r.engine->next_deadline(); d && *d > now()) return arm(r);
    }
    execute(r, r.engine->on_timer(now()));
  });
}

void Service::garp(Router& r, const std::vector<IpPrefix>& addresses, unsigned repeat) {
  const MacAddress broadcast({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  const IpAddress all_nodes = *IpAddress::parse("ff02::1");
  for (unsigned i = 0; i < repeat; ++i) {
    for (const auto& p : addresses) {
      if (p.address().is_v4()) {
        if (r.arp && !r.arp->send_frame(arp::gratuitous(r.mac, p.address().v4()), broadcast)) ++r.garp_sent;
        continue;
      }
      if (!icmp6_) {
        try {
          icmp6_.emplace(RawSocket::ip(ctx_.io, Family::ipv6, IPPROTO_ICMPV6));
          icmp6_->set_multicast_hops(255);  // RFC 4861 §7.1.2: hop limit 255
          icmp6_->set_unicast_hops(255);
          icmp6_->set_multicast_loop(false);
        } catch (const std::exception& e) {
          spdlog::warn("({}) no neighbour adverts: {}", r.config.name, e.what());
          return;
        }
      }
      if (!icmp6_->send_to(unsolicited_na(r.mac, p.address().v6()), all_nodes, r.ifindex)) ++r.garp_sent;
    }
  }
}

// A second burst after garp.delay, then one every garp.refresh while master.
void Service::schedule_garp(Router& r) { garp_after(r, r.config.garp.delay > conf::Duration::zero() ? r.config.garp.delay : r.config.garp.refresh); }

void Service::garp_after(Router& r, conf::Duration wait) {
  if (wait <= conf::Duration::zero()) return;
  r.garp_timer.expires_after(wait);
  r.garp_timer.async_wait([this, &r](boost::system::error_code ec) {
    if (ec || stopping_ || r.engine->state() != State::master) return;
    auto all = r.engine->config().virtual_addresses;
    all.insert(all.end(), r.config.excluded_addresses.begin(), r.config.excluded_addresses.end());
    garp(r, all, r.config.garp.repeat);
    garp_after(r, r.config.garp.refresh);
  });
}

void Service::propagate(Router& from, State to, const std::string& reason) {
  if (from.propagating || !config_.vrrp) return;
  from.propagating = true;
  for (const auto& g : config_.vrrp->sync_groups) {
    if (std::find(g.instances.begin(), g.instances.end(), from.config.name) == g.instances.end()) continue;
    for (const auto& name : g.instances) {
      Router* other = find(name);
      if (other == nullptr || other == &from || other->propagating) continue;
      execute(*other, other->engine->follow(now(), to, "sync group " + g.name + ": " + from.config.name + " " +
                                                          std::string(to_string(to)) + " (" + reason + ")"));
    }
  }
  from.propagating = false;
}

void Service::reload(const conf::Config& config, const conf::ConfigDiff& diff) {
  const bool had_socket = subscription_.has_value();
  config_ = config;
  if (notifier_) notifier_->configure(config.notify);
  if (!had_socket && config.vrrp && !config.vrrp->instances.empty()) {
    start(config);
    return;
  }
  for (const auto& name : diff.vrrp_instances.removed) {
    if (Router* r = find(name)) retire(*r);
  }
  for (const auto& name : diff.vrrp_instances.changed) {
    Router* r = find(name);
    const conf::VrrpInstance* c = config.find_instance(name);
    if (r == nullptr || c == nullptr) continue;
    if (c->interface != r->config.interface || c->vrid != r->config.vrid || c->version != r->config.version ||
        family_of(*c) != r->family) {
      // Another router altogether: stop the old one, start the new one.
      retire(*r);
      launch(*c);
      continue;
    }
    const bool joined = r->config.unicast_peers.empty();
    r->config = *c;
    // From unicast peers back to the group: join it (leaving is not needed:
    // a unicast instance ignores what does not come from its peers).
    if (!joined && c->unicast_peers.empty() && r->ifindex != 0) {
      if (RawSocket* socket = socket_for(r->family)) socket->join_multicast(r->ifindex, multicast_group(r->family));
    }
    execute(*r, r->engine->reconfigure(now(), engine_config(*c)));
    retrack(*r, "reload");
  }
  for (const auto& name : diff.vrrp_instances.added) {
    if (const conf::VrrpInstance* c = config.find_instance(name)) launch(*c);
  }
  apply_accept_mode();
}

// Shutdown as §6.4 says (a master resigns with priority 0 and lets its
// addresses go), and no more timers.
void Service::halt(Router& r) {
  execute(r, r.engine->shutdown(now()));
  r.timer.cancel();
  r.garp_timer.cancel();
}

void Service::retire(Router& r) {
  halt(r);
  std::erase_if(routers_, [&](const auto& p) { return p.get() == &r; });
}

void Service::launch(const conf::VrrpInstance& c) {
  routers_.push_back(make_router(c));
  retrack(*routers_.back(), "reload");
  remove_stale_addresses(*routers_.back());
  execute(*routers_.back(), routers_.back()->engine->startup(now()));
}

void Service::stop(std::function<void()> done) {
  for (auto& r : routers_) halt(*r);
  stopping_ = true;
  apply_accept_mode();  // stopping: the table goes
  if (socket_) socket_->close();
  if (socket6_) socket6_->close();
  if (icmp6_) icmp6_->close();
  for (auto& r : routers_) {
    if (r->arp) r->arp->close();
  }
  if (!notifier_) return done();
  // The programs and mail of the last transitions (to INIT) still go out,
  // within kNotifyStopDeadline; then what runs is killed and the rest given up.
  stop_timer_.expires_after(kNotifyStopDeadline);
  stop_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !notifier_) return;
    spdlog::warn("vrrp: notify programs or mail still busy {} s after stop; giving up on them",
                 std::chrono::duration_cast<std::chrono::seconds>(kNotifyStopDeadline).count());
    notifier_->abort();
  });
  notifier_->drain([this, done = std::move(done)] {
    stop_timer_.cancel();
    done();
  });
}

void Service::status(nlohmann::json& out) const {
  auto list = nlohmann::json::array();
  for (const auto& r : routers_) {
    const auto& e = *r->engine;
    auto vips = nlohmann::json::array();
    for (const auto& p : e.config().virtual_addresses) vips.push_back(p.to_string());
    auto peers = nlohmann::json::array();
    for (const auto& p : r->config.unicast_peers) peers.push_back(p.to_string());
    const auto& c = e.counters();
    nlohmann::json drops = nlohmann::json::object();
    for (std::size_t i = 0; i < kDropKinds; ++i) {
      std::uint64_t n = c.drops[i];
      if (auto it = interface_counters_.find(r->ifindex); it != interface_counters_.end()) n += it->second.drops[i];
      drops[std::string(to_string(static_cast<Drop>(i)))] = n;
    }
    auto master = e.master();
    nlohmann::json j = {{"name", r->config.name},
                        {"interface", r->config.interface},
                        {"vrid", r->config.vrid},
                        {"state", to_string(e.state())},
                        {"priority", r->config.priority},
                        {"effective_priority", e.effective_priority().value},
                        {"master", master ? nlohmann::json(master->to_string()) : nlohmann::json(nullptr)},
                        {"primary_address", e.primary().to_string()},
                        {"version", r->config.version},
                        {"advert_interval_ms", std::chrono::duration_cast<std::chrono::milliseconds>(e.config().advert_interval).count()},
                        {"master_adver_interval_ms", std::chrono::duration_cast<std::chrono::milliseconds>(e.master_adver_interval()).count()},
                        {"master_down_interval_ms", std::chrono::duration_cast<std::chrono::milliseconds>(e.master_down_interval()).count()},
                        {"accept_mode", r->config.accept_mode},
                        {"unicast_peers", peers},
                        {"virtual_addresses", vips},
                        {"counters",
                         {{"advert_rcvd", c.advert_rcvd},
                          {"advert_sent", c.advert_sent},
                          {"advert_send_err", c.advert_send_err},
                          {"repair_suppressed", c.repair_suppressed},
                          {"v3_checksum_as_v2", c.v3_checksum_as_v2},
                          {"become_master", c.become_master},
                          {"release_master", c.release_master},
                          {"pri_zero_rcvd", c.pri_zero_rcvd},
                          {"pri_zero_sent", c.pri_zero_sent},
                          {"garp_sent", r->garp_sent},
                          {"addresses_restored", r->addresses_restored},
                          {"stale_addresses_removed", r->stale_addresses_removed},
                          {"transitions", c.transitions},
                          {"drops", drops}}}};
    if (e.last_transition()) {
      const std::time_t t = std::chrono::system_clock::to_time_t(r->changed_at);
      std::tm tm{};
      gmtime_r(&t, &tm);
      char buf[32];
      std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
      j["last_transition"] = buf;
      j["reason"] = r->reason;
    }
    list.push_back(std::move(j));
  }
  // Instances configured but not running (no vrrp section started yet).
  out["vrrp"] = std::move(list);
  out["vrrp_interface_drops"] = {{"vrid_err", unknown_vrid_}};
  if (!accept_applied_.empty() || !accept_error_.empty()) {
    out["vrrp_accept_mode"] = {{"table", kAcceptTable}, {"applied", !accept_applied_.empty()}, {"error", accept_error_}};
  }
  if (notifier_) {
    out["notify"] = {{"exec_started", notifier_->exec_started()},
                     {"exec_failed", notifier_->exec_failed()},
                     {"exec_dropped", notifier_->exec_dropped()},
                     {"exec_running", notifier_->exec_running()},
                     {"exec_waiting", notifier_->exec_waiting()},
                     {"mail_sent", notifier_->mail_sent()},
                     {"mail_failed", notifier_->mail_failed()}};
  }
}

void Service::collect(MetricSet& out) const {
  if (notifier_) add_notify_metrics(out, *notifier_);
  if (routers_.empty()) return;
  add_interface_metrics(out, unknown_vrid_);
  for (const auto& r : routers_) {
    const auto& e = *r->engine;
    InstanceMetrics m{r->config.name, r->config.interface, r->config.vrid, e.state(), r->config.priority,
                      e.effective_priority().value, e.counters(), r->garp_sent, r->addresses_restored};
    // The interface's share of drops, as status() adds it.
    if (auto it = interface_counters_.find(r->ifindex); it != interface_counters_.end()) {
      for (std::size_t i = 0; i < kDropKinds; ++i) m.counters.drops[i] += it->second.drops[i];
    }
    add_instance_metrics(out, m);
  }
}

}  // namespace pairgate::vrrp
