#include "dhcp/service.h"

#include "core/clock.h"

#include <linux/if_addr.h>
#include <malloc.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <limits>

#include "conf/diff.h"
#include "core/commands.h"
#include "dhcp/lease_record.h"
#include "dhcp/metrics.h"

namespace pairgate::dhcp {

namespace {

constexpr auto kReclaimEvery = std::chrono::seconds(5);
constexpr auto kDiskRetryEvery = std::chrono::seconds(1);
constexpr std::uint64_t kUnwritten = std::numeric_limits<std::uint64_t>::max();

// Receive pacing (dhcp/pacer.h): above 4,000 datagrams a second (2,000
// DORA/s), or when a drain finds 4 or more queued, the loop wakes once a
// millisecond for the DHCP socket instead of once a message, and what one
// wakeup reads is committed as one journal batch; below that each datagram
// is answered at once. scripts/bench/dhcp-rate at 4,000 DORA/s on a 2-CPU VM:
// 56-60 us of CPU per DORA paced against 74-81 us unpaced, REQUEST-ACK 1.7 ms
// on average paced (issue 11); most of the difference is the journal's
// fdatasyncs (one a millisecond paced, one per loop turn unpaced).
// The journal takes a batch as soon as its writer is free: the pacing above
// already gathers a millisecond of ACKs per batch. A group-commit window on
// the writer thread was tried on the same VM (1-2 ms): it moved CPU from
// the journal thread to the loop and cost latency, so it is not there.
constexpr ReceivePacer::Limits kReceivePacing{
    .pace = std::chrono::microseconds(1000), .busy_drain = 4, .busy_rate = 4000, .window = std::chrono::milliseconds(10)};

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

std::string utc(std::int64_t t) { return utc_text(std::chrono::system_clock::from_time_t(static_cast<std::time_t>(t))); }

}  // namespace

Service::Backends Service::Backends::system() {
  Backends b;
  b.open_socket = [](boost::asio::io_context& io, const std::string& interface, int ifindex) {
    return std::unique_ptr<Transport>(std::make_unique<ServerSocket>(io, interface, ifindex, kReceivePacing));
  };
  b.load = [](const std::string& path) { return Journal::load(path); };
  b.open_journal = [](boost::asio::io_context& io, const std::string& path, Journal::Snapshot snapshot,
                      Journal::BatchDone done, bool start_clean) {
    return std::unique_ptr<LeaseJournal>(
        std::make_unique<Journal>(io, path, std::move(snapshot), std::move(done), start_clean));
  };
  b.clock = [] {
    // Lease expiry is wall-clock (it is persisted and outlives a restart);
    // holds that live in memory only run on the steady clock.
    return Time{std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count(),
                std::chrono::steady_clock::now()};
  };
  return b;
}

Service::Service(ModuleContext ctx, Backends backends)
    : ctx_(ctx), backends_(std::move(backends)), pool_watch_(ctx.events), reclaim_timer_(ctx.io), disk_timer_(ctx.io) {
  // Always a page, so that no request costs the loop more than kMaxPage
  // leases' JSON: {"command": "leases", "offset": 0, "limit": 1000, "q": "..."}.
  ctx_.commands.add({.name = "leases",
                     .summary = "the DHCP leases, a page at a time",
                     .run = [this](const nlohmann::json& args, const PeerCredentials&) {
                       auto number = [&](const char* key, std::size_t fallback) -> std::size_t {
                         auto it = args.find(key);
                         if (it == args.end()) return fallback;
                         if (!it->is_number_unsigned()) {
                           throw CommandError(std::string(key) + " must be a number >= 0", control::code::bad_request);
                         }
                         return it->get<std::size_t>();
                       };
                       std::string query;
                       if (auto it = args.find("q"); it != args.end()) {
                         if (!it->is_string() || it->get_ref<const std::string&>().size() > 255) {
                           throw CommandError("q must be a string of at most 255 bytes", control::code::bad_request);
                         }
                         query = it->get<std::string>();
                       }
                       return leases(number("offset", 0), number("limit", kMaxPage), query);
                     }});
  metrics_id_ = ctx_.metrics.add([this](MetricSet& out) { collect(out); });
}

Service::~Service() {
  ctx_.metrics.remove(metrics_id_);
  ctx_.commands.remove("leases");
  if (subscription_) ctx_.netlink.unsubscribe(*subscription_);
}

void Service::start(const conf::Config& config) {
  config_ = config.dhcp.value_or(conf::Dhcp{});
  if (config_.subnets.empty()) return;
  // Large buffers (the journal's snapshots) go back to the system when freed.
  ::mallopt(M_MMAP_THRESHOLD, 256 * 1024);

  engine_ = std::make_unique<Engine>(config_);
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
  open_lease_file();
  schedule_reclaim();
}

// Reads the lease file (once it can) and opens it for writing. Either may
// fail (a read-only mount, a directory in its place, EACCES): the server then
// answers what commits nothing, acknowledges nothing, says why in the log and
// in status, and tries again every retry_every until it works.
void Service::open_lease_file() {
  const std::string& path = config_.lease_file;
  if (!loaded_file_) {
    Journal::Loaded loaded;
    try {
      loaded = backends_.load(path);
    } catch (const std::exception& e) {
      lease_file_unusable(e.what());
      return;
    }
    // What the store learnt meanwhile (a conflict probe's quarantine) is newer.
    const Time t = now();
    for (const auto& l : loaded.leases) {
      if (!engine_->store().find(l.address)) engine_->adopt(l, t);
    }
    loaded_file_ = true;
    loaded_ = loaded.leases.size();
    damaged_records_ = loaded.stats.damaged;
    truncated_records_ = loaded.stats.truncated;
    torn_tail_ = loaded.stats.torn_tail;
    start_clean_ = !loaded.stats.torn_tail && loaded.stats.damaged == 0 && lease_file_error_.empty();
    if (loaded.stats.truncated) {
      spdlog::warn("dhcp: {} has {} records with a hostname or client identifier over 255 bytes; they are cut to it",
                   path, loaded.stats.truncated);
    }
    if (loaded.stats.torn_tail) spdlog::warn("dhcp: {} ends in a torn record (a write cut short); it is dropped", path);
    if (loaded.stats.damaged) spdlog::warn("dhcp: {} has {} damaged records; they are skipped", path, loaded.stats.damaged);
    spdlog::info("dhcp: {} leases loaded from {}", engine_->active_leases(t.wall), path);
  }
  try {
    // After a failure the file is rewritten from the store first.
    journal_ = backends_.open_journal(
        ctx_.io, path, [this] { return snapshot(); },
        [this](std::uint64_t batch, std::error_code ec) { batch_done(batch, ec); }, start_clean_);
  } catch (const std::exception& e) {
    start_clean_ = false;
    lease_file_unusable(e.what());
    return;
  }
  if (!lease_file_error_.empty()) {
    spdlog::info("dhcp: {} is writable again; acknowledging leases", path);
    lease_file_error_.clear();
  }
}

void Service::lease_file_unusable(const std::string& why) {
  if (why != lease_file_error_) {
    spdlog::error("dhcp: {}; no lease is acknowledged until it can be used (VRRP and the rest run on; retrying)", why);
  }
  lease_file_error_ = why;
  schedule_disk_retry();
}

void Service::apply(const conf::Config& config) {
  virtual_addresses_.clear();
  for (const auto& i : config.vrrp ? config.vrrp->instances : std::vector<conf::VrrpInstance>{}) {
    for (const auto& p : i.virtual_addresses) virtual_addresses_.push_back(p);
    for (const auto& p : i.excluded_addresses) virtual_addresses_.push_back(p);
  }
  engine_->set_lease_sync(config.peer.has_value());
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
      if (link.socket) {
        receive_errors_closed_ += link.socket->receive_errors();
        link.socket->close();
      }
      link = Link{};
      link.error = "interface missing";
      next[s.interface] = std::move(link);
      continue;
    }
    if (link.socket && link.ifindex != info->index) {  // the interface came back as a new one
      receive_errors_closed_ += link.socket->receive_errors();
      link.socket->close();
      link.socket.reset();
    }
    link.ifindex = info->index;
    link.mac = info->mac;
    if (!link.socket) {
      try {
        link.socket = backends_.open_socket(ctx_.io, s.interface, info->index);
        link.socket->start([this, name = s.interface](std::span<const Datagram> batch) {
          SendScope scope(*this);
          for (const auto& d : batch) receive(name, d);
        });
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
    if (!next.contains(name) && link.socket) {
      receive_errors_closed_ += link.socket->receive_errors();
      link.socket->close();
    }
  }
  links_ = std::move(next);
  refresh_addresses();
}

void Service::refresh_addresses() {
  // Every IPv4 address of this host: a relayed message must be sent to one.
  local_.clear();
  for (const auto& a : ctx_.netlink.addresses(std::nullopt, Family::ipv4)) local_.insert(a.prefix.address().v4());
  for (std::size_t i = 0; i < config_.subnets.size(); ++i) {
    const auto& s = config_.subnets[i];
    std::optional<Ipv4Address> inside, any;
    bool inside_secondary = false;
    auto& link = links_[s.interface];
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
    link.own = chosen;
    // A configured server identifier (the subnet's VRRP address: conf
    // checks it) is the one clients see, whichever router holds it.
    if (s.server_identifier && chosen) chosen = *s.server_identifier;
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
  Inbound in{std::move(*parsed), interface, d.source, d.destination, local_.contains(d.destination)};
  engine_->set_notes(spdlog::should_log(spdlog::level::debug));  // the log level may change at reload
  execute(engine_->handle(in, now()));
}

void Service::execute(Outcome o) {
  if (!o.note.empty()) spdlog::debug("dhcp: {}", o.note);
  if (o.drop && (*o.drop == Drop::pool_exhausted || *o.drop == Drop::no_server_address)) {
    // Once a minute at most: a full pool meets every client's retransmissions.
    const auto t = now().steady;
    if (*o.drop == Drop::pool_exhausted) pool_watch_.exhausted(t, [this] { return subnet_use(); });
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
  if (!journal_ || journal_->failed()) {
    // Never hand out a lease it cannot remember.
    ++withheld_;
    undo(*o.commit, o.previous, o.retired);
    return;
  }
  std::uint64_t batch = journal_->append(*o.commit);
  for (const auto& r : o.retired) batch = journal_->append(r.lease);
  held_.push_back(Held{batch, std::move(o.reply), std::move(*o.commit), std::move(o.previous), std::move(o.retired)});
}

void Service::undo(const Lease& commit, const std::optional<Lease>& previous,
                   const std::vector<Outcome::Change>& retired) {
  // Newest first: the retirements came after the commit.
  const Time t = now();
  for (auto it = retired.rbegin(); it != retired.rend(); ++it) engine_->undo(it->lease, it->previous, t);
  engine_->undo(commit, previous, t);
}

void Service::batch_done(std::uint64_t batch, std::error_code ec) {
  if (ec) {
    if (lease_file_error_.empty()) {
      spdlog::error("dhcp: cannot write {}: {}; no lease is acknowledged until it can", config_.lease_file,
                    ec.message());
    }
    lease_file_error_ = "cannot write " + config_.lease_file + ": " + ec.message();
    schedule_disk_retry();
  } else if (!lease_file_error_.empty()) {
    spdlog::info("dhcp: {} is writable again", config_.lease_file);
    lease_file_error_.clear();
  }
  std::size_t n = 0;
  while (n < held_.size() && held_[n].batch <= batch) ++n;
  if (ec) {
    // Taken back newest first, so each address returns to what it was.
    for (std::size_t i = n; i-- > 0;) {
      if (held_[i].reply) ++withheld_;
      undo(held_[i].commit, held_[i].previous, held_[i].retired);
    }
  } else {
    if (!stopping_) {
      SendScope scope(*this);
      for (std::size_t i = 0; i < n; ++i) {
        if (held_[i].reply) send(*held_[i].reply);
      }
    }
    // On disk: to the peer, one call per batch (what DHCP's stop flushes too).
    if (durable_listener_ && n > 0) {
      std::vector<LeaseRecord> records;
      records.reserve(n);
      for (std::size_t i = 0; i < n; ++i) {
        if (auto r = to_record(held_[i].commit)) records.push_back(std::move(*r));
        for (const auto& c : held_[i].retired) {
          if (auto r = to_record(c.lease)) records.push_back(std::move(*r));
        }
      }
      if (!records.empty()) durable_listener_(records);
    }
    finish_peer(batch);
  }
  held_.erase(held_.begin(), held_.begin() + static_cast<std::ptrdiff_t>(n));
}

// The peer's records of batches up to `batch` are on disk (a failed batch's
// are rewritten from the store by the next one, so they wait for it).
void Service::finish_peer(std::uint64_t batch) {
  // kUnwritten: applied while the file could not be written; the batch
  // that repairs it rewrites the whole store.
  while (!peer_held_.empty() && (peer_held_.front().batch <= batch || peer_held_.front().batch == kUnwritten)) {
    auto done = std::move(peer_held_.front().durable);
    peer_held_.pop_front();
    if (done) done();
  }
}

void Service::apply(std::span<const LeaseRecord> records, std::function<void()> durable) {
  if (!engine_) {
    // Not serving DHCP here: nothing to keep; the scope check stops sync first.
    if (durable) durable();
    return;
  }
  const Time t = now();
  std::uint64_t batch = 0;
  for (const auto& r : records) {
    auto lease = from_record(r);
    if (!lease) {
      // The codec bounds every field; a client key that is no stored form
      // is all that is left to refuse. Counted; logged with the peer's batch.
      if (peer_refused_++ % 1000 == 0) {
        spdlog::warn("dhcp: lease sync: refused the peer's record of {} (its client key is malformed; {} so far)",
                     r.address.to_string(), peer_refused_);
      }
      continue;
    }
    // Never one of ours held back for its batch: an ACK in flight wins the
    // address by cltt anyway, and its undo would then put back a stale record.
    auto applied = engine_->apply_peer(*lease, t);
    if (!applied) continue;
    ++peer_applied_;
    if (journal_ && !journal_->failed()) {
      batch = journal_->append(*applied);
    } else {
      // Kept in the store; the rewrite that repairs the file writes it. Acked
      // only then: the peer keeps it in its backlog meanwhile.
      batch = kUnwritten;
    }
  }
  if (batch == 0 && !peer_held_.empty()) batch = peer_held_.back().batch;
  if (batch == 0) {
    if (durable) durable();
    return;
  }
  peer_held_.push_back(PeerHeld{batch, std::move(durable)});
}

std::optional<std::size_t> Service::snapshot(std::size_t cursor, std::size_t max, std::vector<LeaseRecord>& out) const {
  if (!engine_ || max == 0) return std::nullopt;
  std::size_t taken = 0;
  std::optional<std::size_t> next;
  engine_->store().for_each_in_order([&](const LeaseStore::View& v) {
    if (v.address.to_uint() < cursor) return true;
    if (taken == max) {
      next = v.address.to_uint();
      return false;
    }
    if (v.state == LeaseState::offered) return true;
    if (auto r = to_record(v.lease())) {
      out.push_back(std::move(*r));
      ++taken;
    }
    return true;
  });
  return next;
}

void Service::schedule_disk_retry() {
  if (stopping_) return;
  disk_timer_.expires_after(backends_.retry_every);
  disk_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (!journal_) {
      open_lease_file();
    } else if (journal_->failed()) {
      journal_->rewrite();
    }
  });
}

void Service::send(const Reply& r) {
  auto it = links_.find(r.interface);
  if (it == links_.end() || !it->second.socket) {
    ++send_errors_;
    return;
  }
  // Built into a buffer kept from earlier replies: no allocation per reply.
  const std::size_t slot = out_queue_.size();
  if (out_buffers_.size() <= slot) out_buffers_.resize(slot + 1);
  encoded_.bytes = std::move(out_buffers_[slot]);
  build(r.message, std::max<std::size_t>(r.max_size, kMinMessage - kIpUdpHeaders), encoded_);
  out_buffers_[slot] = std::move(encoded_.bytes);
  const std::vector<std::byte>& bytes = out_buffers_[slot];
  // A shared server identifier that this router does not hold right now
  // (the VRRP backup): sent from its own address; the message says the VIP.
  Ipv4Address from = r.from;
  if (from != Ipv4Address{} && !local_.contains(from) && it->second.own) from = *it->second.own;
  if (r.delivery == Delivery::unicast_chaddr) {
    if (auto ec = it->second.socket->send_to_hardware(bytes, from, r.to, *r.to_mac)) {
      count_send_error(r.interface, r.to, ec);
    } else {
      ++sent_;
    }
    return;
  }
  const std::uint16_t port = r.delivery == Delivery::relay ? kServerPort : kClientPort;
  out_queue_.push_back(Queued{r.interface, slot, Outgoing{bytes, from, r.to, port}});
  if (send_depth_ == 0) flush();
}

void Service::flush() {
  std::size_t i = 0;
  while (i < out_queue_.size()) {
    // A run of replies on one interface: one send_batch.
    const std::string& interface = out_queue_[i].interface;
    std::size_t end = i;
    out_batch_.clear();
    while (end < out_queue_.size() && out_queue_[end].interface == interface) {
      Outgoing o = out_queue_[end].out;
      o.payload = out_buffers_[out_queue_[end].buffer];  // the buffer may have moved since
      out_batch_.push_back(o);
      ++end;
    }
    auto it = links_.find(interface);
    if (it == links_.end() || !it->second.socket) {
      send_errors_ += end - i;
    } else {
      sent_ += it->second.socket->send_batch(out_batch_, [&](std::size_t k, std::error_code ec) {
        count_send_error(interface, out_batch_[k].to, ec);
      });
    }
    i = end;
  }
  out_queue_.clear();
}

void Service::count_send_error(const std::string& interface, Ipv4Address to, std::error_code ec) {
  if (send_errors_++ == 0 || send_errors_ % 1000 == 0) {
    spdlog::warn("dhcp: cannot send to {} on {}: {} ({} send errors)", to.to_string(), interface, ec.message(),
                 send_errors_);
  }
}

void Service::schedule_reclaim() {
  reclaim_timer_.expires_after(kReclaimEvery);
  reclaim_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    if (auto n = engine_->reclaim(now())) spdlog::debug("dhcp: {} expired leases reclaimed", n);
    pool_watch_.tick([this] { return subnet_use(); });
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
                      {"leases_active", engine_ ? engine_->active_leases(t.wall) : 0},
                      {"pools", pools},
                      {"subnets", subnets}};
  if (engine_) {
    const auto& c = engine_->counters();
    std::uint64_t dropped = 0;  // every reason, parse errors included (Kea's pkt4-receive-drop)
    for (auto n : c.drops) dropped += n;
    nlohmann::json counters = {{"pkt4-received", c.received},
                               {"pkt4-discover-received", c.discover},
                               {"pkt4-request-received", c.request},
                               {"pkt4-decline-received", c.decline},
                               {"pkt4-release-received", c.release},
                               {"pkt4-inform-received", c.inform},
                               {"pkt4-offer-sent", c.offer_sent},
                               {"pkt4-ack-sent", c.ack_sent},
                               {"pkt4-nak-sent", c.nak_sent},
                               {"ack-unextended", c.ack_unextended},
                               {"pkt4-sent", sent_},
                               {"pkt4-send-fail", send_errors_},
                               {"pkt4-parse-failed", c.drops[static_cast<std::size_t>(Drop::parse_error)]},
                               {"pkt4-receive-error", receive_errors()},
                               {"pkt4-receive-drop", dropped + receive_errors()},
                               {"declined-addresses", c.declined_addresses},
                               {"hostname-truncated", c.hostname_truncated + engine_->store().truncated()},
                               {"client-id-truncated", c.client_id_truncated},
                               {"conflicts", c.conflicts},
                               {"reclaimed-leases", c.reclaimed},
                               {"reclaimed-declined-addresses", c.reclaimed_declined},
                               {"v4-allocation-fail", c.drops[static_cast<std::size_t>(Drop::pool_exhausted)]},
                               {"ack-withheld-disk", withheld_},
                               // Lease sync: the peer's records that won by the conflict rule, and
                               // those refused (a client key that is no stored form).
                               {"peer-records-applied", peer_applied_},
                               {"peer-records-refused", peer_refused_},
                               {"probes-sent", prober_ ? prober_->sent() : 0},
                               {"probes-failed", prober_ ? prober_->failed() : 0},
                               {"probe-replies-malformed", prober_ ? prober_->malformed() : 0}};
    nlohmann::json drops = nlohmann::json::object();
    for (std::size_t i = 0; i < kDropCount; ++i) drops[std::string(to_string(static_cast<Drop>(i)))] = c.drops[i];
    d["counters"] = std::move(counters);
    d["drops"] = std::move(drops);
    d["parse_errors"] = c.parse_errors;
    d["probes_pending"] = engine_->probes_pending();
  }
  if (engine_) {
    const bool ok = journal_ && !journal_->failed();
    d["acknowledging"] = ok;
    d["lease_file"] = {{"path", config_.lease_file},
                       {"ok", ok},
                       {"bytes", journal_ ? journal_->file_bytes() : 0},
                       {"batches", journal_ ? journal_->batches() : 0},
                       {"compactions", journal_ ? journal_->compactions() : 0},
                       {"loaded", loaded_},
                       {"damaged_records", damaged_records_},
                       {"truncated_records", truncated_records_},
                       {"torn_tail", torn_tail_}};
    // Why no lease is acknowledged: the file cannot be opened, or a batch failed.
    if (!ok) {
      d["lease_file"]["error"] = journal_ && !journal_->last_error().empty() ? journal_->last_error() : lease_file_error_;
    }
  }
  out["dhcp"] = std::move(d);
}

std::uint64_t Service::receive_errors() const {
  std::uint64_t n = receive_errors_closed_;
  for (const auto& [name, link] : links_) {
    if (link.socket) n += link.socket->receive_errors();
  }
  return n;
}

namespace {

void append_address(std::string& out, Ipv4Address a) {
  const auto v = a.to_uint();
  for (int shift = 24; shift >= 0; shift -= 8) {
    const unsigned octet = (v >> shift) & 255;
    if (octet >= 100) out += static_cast<char>('0' + octet / 100);
    if (octet >= 10) out += static_cast<char>('0' + octet / 10 % 10);
    out += static_cast<char>('0' + octet % 10);
    if (shift) out += '.';
  }
}

template <typename Bytes>
void append_hex_colons(std::string& out, const Bytes& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  bool first = true;
  for (auto c : bytes) {
    const auto b = static_cast<std::uint8_t>(c);
    if (!first) out += ':';
    first = false;
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `needle` (already lower case) in `hay`, ignoring ASCII case.
bool contains(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(),
                     [](char a, char b) { return lower(a) == b; }) != hay.end();
}

}  // namespace

void Service::for_each_listed(std::string_view query, const std::function<bool(const LeaseStore::View&)>& f) const {
  if (!engine_) return;
  const Time t = now();
  std::string q(query.substr(0, 256));
  for (char& c : q) c = lower(c);
  std::string text;  // reused: no allocation per record once grown
  engine_->store().for_each_in_order([&](const LeaseStore::View& l) {
    // Bound leases, and addresses in quarantine.
    const bool listed = (l.state == LeaseState::leased && l.expires > t.wall) ||
                        (l.state == LeaseState::declined && engine_->holds().quarantined(l.address, t.steady));
    if (!listed) return true;
    if (!q.empty() && !contains(l.hostname, q)) {
      // The other fields' text forms, into one reused buffer.
      text.clear();
      append_address(text, l.address);
      text += ' ';
      if (l.hw_address) append_hex_colons(text, l.hw_address->bytes());
      text += ' ';
      if (!l.client.empty() && l.client[0] == 'c') append_hex_colons(text, l.client.substr(1));
      if (!contains(text, q)) return true;
    }
    return f(l);
  });
}

nlohmann::json Service::to_json(const LeaseStore::View& l, std::int64_t wall) const {
  return {{"address", l.address.to_string()},
          {"state", to_string(l.state)},
          {"hw_address", l.hw_address ? l.hw_address->to_string() : ""},
          {"client_id", !l.client.empty() && l.client[0] == 'c' ? hex_colons(l.client.substr(1)) : ""},
          {"hostname", l.hostname},
          {"expires", utc(l.expires)},
          {"expires_in_s", l.expires - wall},
          {"origin", l.origin == LeaseOrigin::peer ? "peer" : "local"}};
}

nlohmann::json Service::leases() const {
  auto out = nlohmann::json::array();
  const std::int64_t wall = now().wall;
  for_each_listed({}, [&](const LeaseStore::View& l) {
    out.push_back(to_json(l, wall));
    return true;
  });
  return out;
}

nlohmann::json Service::leases(std::size_t offset, std::size_t limit, std::string_view query) const {
  limit = std::min(limit, kMaxPage);
  auto page = nlohmann::json::array();
  const std::int64_t wall = now().wall;
  std::size_t total = 0;
  for_each_listed(query, [&](const LeaseStore::View& l) {
    if (total >= offset && total - offset < limit) page.push_back(to_json(l, wall));
    ++total;
    return true;
  });
  return {{"total", total}, {"offset", offset}, {"limit", limit}, {"leases", std::move(page)}};
}

std::vector<PoolWatch::SubnetUse> Service::subnet_use() const {
  std::vector<PoolWatch::SubnetUse> out;
  const auto t = now();
  for (std::size_t i = 0; engine_ && i < config_.subnets.size(); ++i) {
    const auto& s = config_.subnets[i];
    PoolWatch::SubnetUse u{s.subnet.to_string(), 0, 0};
    const auto used = engine_->pool_usage(i, t);
    for (std::size_t p = 0; p < s.pools.size(); ++p) {
      u.size += s.pools[p].range.size();
      u.used += p < used.size() ? used[p] : 0;
    }
    out.push_back(std::move(u));
  }
  return out;
}

void Service::collect(MetricSet& out) const {
  if (config_.subnets.empty()) return;
  DhcpMetrics m;
  const auto t = now();
  for (std::size_t i = 0; i < config_.subnets.size(); ++i) {
    const auto& s = config_.subnets[i];
    auto used = engine_ ? engine_->pool_usage(i, t) : std::vector<std::size_t>(s.pools.size(), 0);
    for (std::size_t p = 0; p < s.pools.size(); ++p) {
      m.pools.push_back({s.subnet.to_string(), s.pools[p].range.to_string(), s.pools[p].range.size(),
                         p < used.size() ? used[p] : 0});
    }
  }
  if (engine_) {
    m.counters = &engine_->counters();
    m.leases_active = engine_->active_leases(t.wall);
  }
  m.sent = sent_;
  m.send_errors = send_errors_;
  m.ack_withheld = withheld_;
  m.probes_sent = prober_ ? prober_->sent() : 0;
  m.probes_failed = prober_ ? prober_->failed() : 0;
  if (journal_) {
    m.lease_file_open = true;
    m.lease_file_ok = !journal_->failed();
    m.lease_file_bytes = journal_->file_bytes();
    m.sync_latency = journal_->sync_latency();
  }
  add_dhcp_metrics(out, m);
}

}  // namespace pairgate::dhcp
