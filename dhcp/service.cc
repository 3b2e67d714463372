#include "dhcp/service.h"

#include <linux/if_addr.h>
#include <malloc.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>

#include "conf/diff.h"
#include "core/commands.h"

namespace pairgate::dhcp {

namespace {

constexpr auto kReclaimEvery = std::chrono::seconds(5);
constexpr auto kDiskRetryEvery = std::chrono::seconds(1);

std::string hex_colons(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<std::uint8_t>(c);
    if (!out.empty()) out += ':';
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

std::string utc(std::int64_t t) {
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  ::gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

Service::Service(ModuleContext ctx) : ctx_(ctx), reclaim_timer_(ctx.io), disk_timer_(ctx.io) {
  ctx_.commands.add({.name = "leases",
                     .summary = "the DHCP leases",
                     .run = [this](const nlohmann::json&, const PeerCredentials&) { return leases(); }});
}

Service::~Service() {
  ctx_.commands.remove("leases");
  if (subscription_) ctx_.netlink.unsubscribe(*subscription_);
}

std::int64_t Service::now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void Service::start(const conf::Config& config) {
  config_ = config.dhcp.value_or(conf::Dhcp{});
  if (config_.subnets.empty()) return;
  // Large buffers (the journal's snapshots) go back to the system when freed.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  engine_ = std::make_unique<Engine>(config_);
  auto loaded = Journal::load(config_.lease_file);
  for (auto& l : loaded.leases) {
    if (l.state == LeaseState::offered) continue;
    engine_->store().put(l);
  }
  loaded_ = loaded.leases.size();
  damaged_records_ = loaded.stats.damaged;
  torn_tail_ = loaded.stats.torn_tail;
  if (loaded.stats.torn_tail) {
    spdlog::warn("dhcp: {} ends in a torn record (a write cut short); it is dropped", config_.lease_file);
  }
  if (loaded.stats.damaged) {
    spdlog::warn("dhcp: {} has {} damaged records; they are skipped", config_.lease_file, loaded.stats.damaged);
  }
  spdlog::info("dhcp: {} leases loaded from {}", engine_->active_leases(now()), config_.lease_file);
  journal_ = std::make_unique<Journal>(
      ctx_.io, config_.lease_file, [this] { return snapshot(); },
      [this](std::uint64_t batch, std::error_code ec) { batch_done(batch, ec); },
      !loaded.stats.torn_tail && loaded.stats.damaged == 0);
  prober_ = std::make_unique<Prober>(ctx_.io, [this](std::uint64_t id, bool conflict) {
    if (!engine_ || stopping_) return;
    execute(engine_->probe_result(id, conflict, now()));
  });

  Netlink::Subscriber sub;
  auto changed = [this] {
    if (refresh_posted_) return;
    refresh_posted_ = true;
    boost::asio::post(ctx_.io, [this] {
      refresh_posted_ = false;
      if (!stopping_) open_links();
    });
  };
  sub.on_link = [changed](const LinkEvent&) { changed(); };
  sub.on_address = [changed](const AddressEvent&) { changed(); };
  sub.on_resync = changed;
  subscription_ = ctx_.netlink.subscribe(std::move(sub));

  apply(config);
  schedule_reclaim();
}

void Service::apply(const conf::Config& config) {
  virtual_addresses_.clear();
  for (const auto& i : config.vrrp ? config.vrrp->instances : std::vector<conf::VrrpInstance>{}) {
    for (const auto& p : i.virtual_addresses) virtual_addresses_.push_back(p);
    for (const auto& p : i.excluded_addresses) virtual_addresses_.push_back(p);
  }
  open_links();
}

// Opens a socket on each subnet's interface that has none, and picks each
// subnet's server identifier: this host's own address on the interface,
// inside the subnet if it has one there (a relayed subnet's is not), never
// a VRRP virtual address, a primary before a secondary.
void Service::open_links() {
  std::map<std::string, Link> next;
  for (const auto& s : config_.subnets) {
    if (next.contains(s.interface)) continue;
    Link link;
    if (auto it = links_.find(s.interface); it != links_.end()) link = std::move(it->second);
    auto info = ctx_.netlink.link(s.interface);
    if (!info) {
      if (link.socket || link.error.empty()) spdlog::warn("dhcp: interface {} is missing; not serving it", s.interface);
      if (link.socket) link.socket->close();
      link = Link{};
      link.error = "interface missing";
      next[s.interface] = std::move(link);
      continue;
    }
    if (link.socket && link.ifindex != info->index) {  // the interface came back as a new one
      link.socket->close();
      link.socket.reset();
    }
    link.ifindex = info->index;
    link.mac = info->mac;
    if (!link.socket) {
      try {
        link.socket = std::make_unique<ServerSocket>(ctx_.io, s.interface, info->index);
        link.socket->start([this, name = s.interface](const Datagram& d) { receive(name, d); });
        link.error.clear();
        spdlog::info("dhcp: listening on {} port 67", s.interface);
      } catch (const std::exception& e) {
        if (link.error != e.what()) spdlog::error("dhcp: cannot listen on {}: {}", s.interface, e.what());
        link.error = e.what();
      }
    }
    next[s.interface] = std::move(link);
  }
  for (auto& [name, link] : links_) {
    if (!next.contains(name) && link.socket) link.socket->close();
  }
  links_ = std::move(next);
  refresh_addresses();
}

void Service::refresh_addresses() {
  for (std::size_t i = 0; i < config_.subnets.size(); ++i) {
    const auto& s = config_.subnets[i];
    std::optional<Ipv4Address> inside, any;
    bool inside_secondary = false;
    const auto& link = links_[s.interface];
    if (link.socket) {
      for (const auto& a : ctx_.netlink.addresses(link.ifindex, Family::ipv4)) {
        const auto v4 = a.prefix.address().v4();
        bool is_virtual = false;
        for (const auto& v : virtual_addresses_) is_virtual |= v.address() == a.prefix.address();
        if (is_virtual) continue;
        const bool secondary = (a.flags & IFA_F_SECONDARY) != 0;
        if (s.subnet.contains(a.prefix.address()) && (!inside || (inside_secondary && !secondary))) {
          inside = v4;
          inside_secondary = secondary;
        }
        if (!any) any = v4;
      }
    }
    auto chosen = inside ? inside : any;
    if (engine_->server_address(i) != chosen) {
      if (chosen) {
        spdlog::info("dhcp: serving {} on {} as {}", s.subnet.to_string(), s.interface, chosen->to_string());
      } else {
        spdlog::warn("dhcp: {} on {} has no address of its own; not serving it", s.subnet.to_string(), s.interface);
      }
      engine_->set_server_address(i, chosen);
    }
  }
}

void Service::reload(const conf::Config& config, const conf::ConfigDiff&) {
  auto next = config.dhcp.value_or(conf::Dhcp{});
  if (!engine_) {
    if (!next.subnets.empty()) start(config);
    return;
  }
  if (next.lease_file != config_.lease_file) {
    spdlog::warn("dhcp: lease_file changed to {}; the running server keeps {} until restart", next.lease_file,
                 config_.lease_file);
    next.lease_file = config_.lease_file;
  }
  config_ = next;
  engine_->configure(config_);
  apply(config);
}

void Service::stop(std::function<void()> done) {
  stopping_ = true;
  reclaim_timer_.cancel();
  disk_timer_.cancel();
  for (auto& [name, link] : links_) {
    if (link.socket) link.socket->close();
  }
  if (prober_) prober_->close();
  if (subscription_) {
    ctx_.netlink.unsubscribe(*subscription_);
    subscription_.reset();
  }
  if (!journal_) {
    done();
    return;
  }
  // Leases granted so far reach the disk before the daemon exits.
  journal_->when_idle([this, done = std::move(done)] {
    spdlog::info("dhcp: lease file {} flushed", config_.lease_file);
    done();
  });
}

void Service::receive(const std::string& interface, const Datagram& d) {
  if (stopping_ || !engine_) return;
  auto parsed = parse(d.data);
  if (!parsed) {
    ++engine_->counters().received;
    ++engine_->counters().drops[static_cast<std::size_t>(Drop::parse_error)];
    ++engine_->counters().parse_errors[std::string(to_string(parsed.error()))];
    spdlog::debug("dhcp: malformed message from {} on {}: {}", d.source.to_string(), interface,
                  to_string(parsed.error()));
    return;
  }
  Inbound in{std::move(*parsed), interface, d.source, d.destination};
  execute(engine_->handle(in, now()));
}

void Service::execute(Outcome o) {
  if (!o.note.empty()) spdlog::debug("dhcp: {}", o.note);
  if (o.drop && (*o.drop == Drop::pool_exhausted || *o.drop == Drop::no_server_address)) {
    // Once a minute at most: a full pool meets every client's retransmissions.
    const auto t = std::chrono::steady_clock::now();
    ++unanswered_;
    if (t >= next_unanswered_log_) {
      spdlog::warn("dhcp: no answer ({}): {} ({} such since the last warning)", to_string(*o.drop), o.note, unanswered_);
      unanswered_ = 0;
      next_unanswered_log_ = t + std::chrono::minutes(1);
    }
  }
  if (o.probe) {
    const auto& link = links_[o.probe->interface];
    prober_->start(*o.probe, link.ifindex, link.mac);
  }
  if (!o.commit) {
    if (o.reply) send(*o.reply);
    return;
  }
  if (journal_->failed()) {
    // Never hand out a lease it cannot remember.
    ++withheld_;
    engine_->undo(*o.commit, o.previous, now());
    return;
  }
  const std::uint64_t batch = journal_->append(*o.commit);
  held_.push_back(Held{batch, std::move(o.reply), std::move(*o.commit), std::move(o.previous)});
}

void Service::batch_done(std::uint64_t batch, std::error_code ec) {
  if (ec) {
    spdlog::error("dhcp: cannot write {}: {}; no lease is acknowledged until it can", config_.lease_file, ec.message());
    schedule_disk_retry();
  } else if (disk_timer_.expiry() != boost::asio::steady_timer::time_point{}) {
    spdlog::info("dhcp: {} is writable again", config_.lease_file);
    disk_timer_.expires_at(boost::asio::steady_timer::time_point{});
  }
  std::size_t n = 0;
  while (n < held_.size() && held_[n].batch <= batch) ++n;
  if (ec) {
    // Taken back newest first, so each address returns to what it was.
    for (std::size_t i = n; i-- > 0;) {
      if (held_[i].reply) ++withheld_;
      engine_->undo(held_[i].commit, held_[i].previous, now());
    }
  } else if (!stopping_) {
    for (std::size_t i = 0; i < n; ++i) {
      if (held_[i].reply) send(*held_[i].reply);
    }
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
}

void Service::schedule_disk_retry() {
  if (stopping_) return;
  disk_timer_.expires_after(kDiskRetryEvery);
  disk_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_ || !journal_->failed()) return;
    journal_->rewrite();
  });
}

void Service::send(const Reply& r) {
  auto it = links_.find(r.interface);
  if (it == links_.end() || !it->second.socket) {
    ++send_errors_;
    return;
  }
  auto encoded = build(r.message, std::max<std::size_t>(r.max_size, kMinMessage - kIpUdpHeaders));
  std::error_code ec;
  switch (r.delivery) {
    case Delivery::relay: ec = it->second.socket->send(encoded.bytes, r.from, r.to, kServerPort); break;
    case Delivery::unicast:
    case Delivery::broadcast: ec = it->second.socket->send(encoded.bytes, r.from, r.to, kClientPort); break;
    case Delivery::unicast_chaddr: ec = it->second.socket->send_to_hardware(encoded.bytes, r.from, r.to, *r.to_mac); break;
  }
  if (ec) {
    if (send_errors_++ == 0 || send_errors_ % 1000 == 0) {
      spdlog::warn("dhcp: cannot send to {} on {}: {} ({} send errors)", r.to.to_string(), r.interface, ec.message(),
                   send_errors_);
    }
    return;
  }
  ++sent_;
}

void Service::schedule_reclaim() {
  reclaim_timer_.expires_after(kReclaimEvery);
  reclaim_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (auto n = engine_->reclaim(now())) spdlog::debug("dhcp: {} expired leases reclaimed", n);
    schedule_reclaim();
  });
}

std::string Service::snapshot() const {
  std::string out;
  engine_->store().for_each([&](const Lease& l) {
    if (l.state != LeaseState::offered) encode_record(l, out);
  });
  return out;
}

void Service::status(nlohmann::json& out) const {
  auto pools = nlohmann::json::array();
  auto subnets = nlohmann::json::array();
  const auto t = now();
  for (std::size_t i = 0; i < config_.subnets.size(); ++i) {
    const auto& s = config_.subnets[i];
    auto used = engine_ ? engine_->pool_usage(i, t) : std::vector<std::size_t>(s.pools.size(), 0);
    for (std::size_t p = 0; p < s.pools.size(); ++p) {
      pools.push_back({{"subnet", s.subnet.to_string()},
                       {"interface", s.interface},
                       {"range", s.pools[p].range.to_string()},
                       {"size", s.pools[p].range.size()},
                       {"used", used[p]}});
    }
    nlohmann::json sj = {{"subnet", s.subnet.to_string()}, {"interface", s.interface}};
    auto server = engine_ ? engine_->server_address(i) : std::nullopt;
    sj["server_address"] = server ? nlohmann::json(server->to_string()) : nlohmann::json(nullptr);
    if (auto l = links_.find(s.interface); l != links_.end() && !l->second.error.empty()) sj["error"] = l->second.error;
    subnets.push_back(std::move(sj));
  }
  bool serving = false;
  for (std::size_t i = 0; engine_ && i < config_.subnets.size(); ++i) {
    auto l = links_.find(config_.subnets[i].interface);
    serving |= engine_->server_address(i) && l != links_.end() && l->second.socket;
  }
  nlohmann::json d = {{"serving", serving},
                      {"leases_active", engine_ ? engine_->active_leases(t) : 0},
                      {"pools", pools},
                      {"subnets", subnets}};
  if (engine_) {
    const auto& c = engine_->counters();
    nlohmann::json counters = {{"pkt4-received", c.received},
                               {"pkt4-discover-received", c.discover},
                               {"pkt4-request-received", c.request},
                               {"pkt4-decline-received", c.decline},
                               {"pkt4-release-received", c.release},
                               {"pkt4-inform-received", c.inform},
                               {"pkt4-offer-sent", c.offer_sent},
                               {"pkt4-ack-sent", c.ack_sent},
                               {"pkt4-nak-sent", c.nak_sent},
                               {"pkt4-sent", sent_},
                               {"pkt4-send-fail", send_errors_},
                               {"pkt4-parse-failed", c.drops[static_cast<std::size_t>(Drop::parse_error)]},
                               {"pkt4-receive-drop", c.drops[static_cast<std::size_t>(Drop::parse_error)]},
                               {"declined-addresses", c.declined_addresses},
                               {"conflicts", c.conflicts},
                               {"reclaimed-leases", c.reclaimed},
                               {"reclaimed-declined-addresses", c.reclaimed_declined},
                               {"v4-allocation-fail", c.drops[static_cast<std::size_t>(Drop::pool_exhausted)]},
                               {"ack-withheld-disk", withheld_},
                               {"probes-sent", prober_ ? prober_->sent() : 0},
                               {"probes-failed", prober_ ? prober_->failed() : 0}};
    nlohmann::json drops = nlohmann::json::object();
    for (std::size_t i = 0; i < kDropCount; ++i) drops[std::string(to_string(static_cast<Drop>(i)))] = c.drops[i];
    d["counters"] = std::move(counters);
    d["drops"] = std::move(drops);
    d["parse_errors"] = c.parse_errors;
    d["probes_pending"] = engine_->probes_pending();
  }
  if (journal_) {
    d["lease_file"] = {{"path", journal_->path()},
                       {"ok", !journal_->failed()},
                       {"bytes", journal_->file_bytes()},
                       {"batches", journal_->batches()},
                       {"compactions", journal_->compactions()},
                       {"loaded", loaded_},
                       {"damaged_records", damaged_records_},
                       {"torn_tail", torn_tail_}};
    if (journal_->failed()) d["lease_file"]["error"] = journal_->last_error();
  }
  out["dhcp"] = std::move(d);
}

nlohmann::json Service::leases() const {
  auto out = nlohmann::json::array();
  if (!engine_) return out;
  const auto t = now();
  engine_->store().for_each([&](const Lease& l) {
    if (!l.holds(t) || l.state == LeaseState::offered) return;
    out.push_back({{"address", l.address.to_string()},
                   {"state", to_string(l.state)},
                   {"hw_address", l.hw_address ? l.hw_address->to_string() : ""},
                   {"client_id", hex_colons(l.client.client_id())},
                   {"hostname", l.hostname},
                   {"expires", utc(l.expires)},
                   {"expires_in_s", l.expires - t},
                   {"origin", l.origin == LeaseOrigin::peer ? "peer" : "local"}});
  });
  std::sort(out.begin(), out.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return Ipv4Address::parse(a["address"].get<std::string>()) < Ipv4Address::parse(b["address"].get<std::string>());
  });
  return out;
}

}  // namespace pairgate::dhcp
