#include "peer/service.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <ctime>

#include "conf/diff.h"
#include "conf/key_file.h"
#include "core/events.h"

#ifndef PAIRGATE_VERSION
#define PAIRGATE_VERSION "unknown"
#endif

namespace pairgate::peer {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Lease changes and acks travel in 5 ms windows: at 4,000 DORAs/s that is
// about 20 records a message instead of one or two (scripts/bench/dhcp-pair:
// CPU per DORA with sync on). No client waits for it.
constexpr auto kLeaseSyncCoalesce = std::chrono::milliseconds(5);

constexpr auto kLogEvery = std::chrono::seconds(10);
constexpr auto kStopFlush = std::chrono::seconds(1);
constexpr std::size_t kReadBuffer = 64 * 1024;

asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4().to_uint());
  return asio::ip::address_v6(a.v6().bytes());
}

IpAddress from_asio(const asio::ip::address& a) {
  if (a.is_v4()) return Ipv4Address(a.to_v4().to_uint());
  if (a.to_v6().is_v4_mapped()) return Ipv4Address(asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).to_uint());
  return Ipv6Address(a.to_v6().to_bytes());
}

double seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::uint64_t random_epoch() {
  std::array<std::uint8_t, 8> b{};
  random_bytes(b);
  std::uint64_t v = 0;
  for (auto x : b) v = (v << 8) | x;
  return v == 0 ? 1 : v;
}

}  // namespace

struct Service::Connection {
  Connection(ConnId i, asio::io_context& io) : id(i), socket(io) {}
  ConnId id;
  tcp::socket socket;
  std::vector<std::byte> buffer = std::vector<std::byte>(kReadBuffer);
  std::deque<std::vector<std::byte>> out;
  bool writing = false;
  bool closed = false;
};

Service::Service(ModuleContext ctx, LeaseSource* leases, LeaseSink* sink)
    : ctx_(ctx), leases_(leases), sink_(sink), clock_(make_steady_clock(ctx.io)), timer_(clock_->make_timer()) {
  metrics_id_ = ctx_.metrics.add([this](MetricSet& out) { collect(out); });
}

Service::~Service() {
  *alive_ = false;
  ctx_.metrics.remove(metrics_id_);
  lease_sync_.reset();
  close_all();
}

Scope Service::scope_of(const conf::Config& config) {
  Scope s;
  if (!config.dhcp) return s;
  for (const auto& sub : config.dhcp->subnets) {
    s.subnets.push_back(sub.subnet.network());
    for (const auto& p : sub.pools) s.pools.push_back(p.range);
  }
  return s;
}

void Service::start(const conf::Config& config) {
  node_ = config.node;
  if (!config.peer) return;
  crypto_init();
  lease_sync_ = std::make_unique<LeaseSync>(*this, leases_, sink_, scope_of(config), random_epoch(), *clock_,
                                            LeaseSync::Options{.coalesce = kLeaseSyncCoalesce},
                                            [this](const LeaseSync::Event& e) { on_sync_event(e); });
  open(config);
}

void Service::open(const conf::Config& config) {
  const conf::Peer& p = *config.peer;
  auto secret = conf::read_key_file(p.key_file);
  if (!secret) throw std::runtime_error("peer.key_file " + p.key_file + ": " + secret.error());
  ChannelOptions o;
  o.node = config.node;
  o.software = PAIRGATE_VERSION;
  o.master = master_key(*secret);
  conf::wipe(*secret);
  master_ = o.master;
  o.peer = p.address;
  config_ = p;
  channel_ = std::make_unique<Channel>(std::move(o), [](std::span<std::uint8_t> out) { random_bytes(out); });
  for (const auto& u : users_) channel_->attach(u.first, u.name, *u.user);
  listen();
  spdlog::info("peer: {} port {}, dialing {}{}", listen_error_.empty() ? "listening on" : "not listening on",
               p.port, p.address.to_string(), p.local ? " from " + p.local->to_string() : std::string());
  channel_->start(clock_->now());
  execute();
}

void Service::listen() {
  const conf::Peer& p = *config_;
  listen_error_.clear();
  try {
    const asio::ip::address any = p.address.is_v4() ? asio::ip::address(asio::ip::address_v4::any())
                                                    : asio::ip::address(asio::ip::address_v6::any());
    const tcp::endpoint at(p.local ? to_asio(*p.local) : any, p.port);
    auto a = std::make_unique<tcp::acceptor>(ctx_.io);
    a->open(at.protocol());
    a->set_option(tcp::acceptor::reuse_address(true));
    if (at.address().is_v6()) a->set_option(asio::ip::v6_only(true));
    a->bind(at);
    a->listen(8);
    acceptor_ = std::move(a);
    accept();
  } catch (const boost::system::system_error& e) {
    // Dialing still works; the other router dials too, so one side
    // listening is enough, and a reload retries.
    listen_error_ = e.what();
    spdlog::error("peer: cannot listen on port {}: {}; only dialing", p.port, e.code().message());
  }
}

void Service::accept() {
  if (!acceptor_) return;
  acceptor_->async_accept([this, a = acceptor_.get()](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || acceptor_.get() != a || stopping_ || !channel_) return;
    if (!ec) {
      boost::system::error_code ignored;
      const auto remote = socket.remote_endpoint(ignored);
      const ConnId id = ignored ? 0 : channel_->accepted(from_asio(remote.address()), clock_->now());
      if (id == 0) {
        socket.close(ignored);
      } else {
        socket.set_option(tcp::no_delay(true), ignored);
        auto c = std::make_shared<Connection>(id, ctx_.io);
        c->socket = std::move(socket);
        connections_[id] = c;
        read(c);
      }
      execute();
    }
    accept();
  });
}

void Service::dial(ConnId id) {
  auto c = std::make_shared<Connection>(id, ctx_.io);
  connections_[id] = c;
  const conf::Peer& p = *config_;
  const tcp::endpoint to(to_asio(p.address), p.port);
  boost::system::error_code ec;
  c->socket.open(to.protocol(), ec);
  if (!ec && p.local) c->socket.bind(tcp::endpoint(to_asio(*p.local), 0), ec);
  if (ec) {
    connections_.erase(id);
    channel_->dial_failed(id, clock_->now(), ec.message());
    execute_soon();
    return;
  }
  c->socket.async_connect(to, [this, c](boost::system::error_code ec2) {
    if (c->closed || !channel_) return;
    if (ec2) {
      connections_.erase(c->id);
      channel_->dial_failed(c->id, clock_->now(), ec2.message());
    } else {
      boost::system::error_code ignored;
      c->socket.set_option(tcp::no_delay(true), ignored);
      channel_->connected(c->id, clock_->now());
      read(c);
    }
    execute();
  });
}

void Service::read(const std::shared_ptr<Connection>& c) {
  c->socket.async_read_some(asio::buffer(c->buffer), [this, c](boost::system::error_code ec, std::size_t n) {
    if (c->closed || !channel_) return;
    if (ec) {
      c->closed = true;
      connections_.erase(c->id);
      channel_->closed(c->id, clock_->now(), ec == asio::error::eof ? "closed by the peer" : ec.message());
      execute();
      return;
    }
    channel_->received(c->id, std::span(c->buffer).first(n), clock_->now());
    execute();
    if (!c->closed) read(c);
  });
}

void Service::write_next(const std::shared_ptr<Connection>& c) {
  if (c->writing || c->closed || c->out.empty()) return;
  c->writing = true;
  asio::async_write(c->socket, asio::buffer(c->out.front()), [this, c](boost::system::error_code ec, std::size_t n) {
    c->writing = false;
    if (c->closed || !channel_) return;
    if (ec) {
      c->closed = true;
      connections_.erase(c->id);
      channel_->closed(c->id, clock_->now(), ec.message());
      execute();
      return;
    }
    c->out.pop_front();
    channel_->written(c->id, n);
    write_next(c);
    execute();
  });
}

void Service::execute_soon() {
  if (execute_posted_) return;
  execute_posted_ = true;
  asio::post(ctx_.io, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.lock()) return;
    execute_posted_ = false;
    execute();
  });
}

void Service::execute() {
  if (!channel_) return;
  for (;;) {
    auto effects = channel_->take_effects();
    if (effects.empty()) break;
    for (auto& e : effects) {
      if (auto* d = std::get_if<Dial>(&e)) {
        dial(d->conn);
      } else if (auto* w = std::get_if<Write>(&e)) {
        auto it = connections_.find(w->conn);
        if (it == connections_.end()) continue;
        it->second->out.push_back(std::move(w->bytes));
        write_next(it->second);
      } else if (auto* c = std::get_if<Close>(&e)) {
        auto it = connections_.find(c->conn);
        if (it == connections_.end()) continue;
        it->second->closed = true;
        boost::system::error_code ignored;
        it->second->socket.shutdown(tcp::socket::shutdown_both, ignored);
        it->second->socket.close(ignored);
        connections_.erase(it);
      } else if (auto* r = std::get_if<Rejected>(&e)) {
        log_rejected(to_string(r->reason), r->detail);
      } else if (auto* s = std::get_if<StateChanged>(&e)) {
        if (s->to == LinkState::up) {
          spdlog::info("peer: channel to {} up: {}", s->peer_node, s->reason);
        } else {
          spdlog::warn("peer: channel to {} {}: {}", s->peer_node.empty() ? config_->address.to_string() : s->peer_node,
                       to_string(s->to), s->reason);
        }
        update_state(s->reason);
      }
    }
  }
  update_state({});
  arm_timer();
}

void Service::arm_timer() {
  if (!channel_) {
    timer_->cancel();
    return;
  }
  if (auto at = channel_->next_deadline()) {
    timer_->arm(*at, [this] {
      if (!channel_) return;
      channel_->tick(clock_->now());
      execute();
    });
  } else {
    timer_->cancel();
  }
}

void Service::log_rejected(std::string_view what, const std::string& detail) {
  const SteadyTime now = clock_->now();
  auto [it, fresh] = limiter_.try_emplace(std::string(what));
  Limiter& l = it->second;
  if (!fresh && now < l.next) {
    ++l.suppressed;
    return;
  }
  if (l.suppressed > 0) {
    spdlog::warn("peer: rejected ({}): {} ({} more since the last such line)", what, detail, l.suppressed);
  } else {
    spdlog::warn("peer: rejected ({}): {}", what, detail);
  }
  l.suppressed = 0;
  l.next = now + kLogEvery;
}

void Service::on_sync_event(const LeaseSync::Event& e) {
  if (e.kind == "rejected") {
    log_rejected("lease sync", e.message);
  } else if (e.kind == "overflow") {
    spdlog::warn("peer: lease sync: {}", e.message);
  } else if (e.to == SyncState::stopped) {
    spdlog::error("peer: lease sync with {} stopped: {}", channel_ ? channel_->peer_node() : "", e.message);
  } else {
    spdlog::info("peer: lease sync {} -> {}: {}", to_string(e.from), to_string(e.to), e.message);
  }
  update_state(e.message);
}

void Service::update_state(std::string reason) {
  std::string next;
  if (!channel_) {
    next = "down";
  } else if (!channel_->is_up()) {
    next = channel_->state() == LinkState::connecting ? "connecting" : "down";
    if (reason.empty()) reason = channel_->down_reason();
  } else if (!lease_sync_) {
    next = "in-sync";
  } else {
    switch (lease_sync_->state()) {
      case SyncState::in_sync:
      case SyncState::off: next = "in-sync"; break;
      case SyncState::stopped:
        next = "down";
        reason = lease_sync_->reason();
        break;
      default: next = "syncing"; break;
    }
  }
  if (next == state_) return;
  const std::string from = std::exchange(state_, next);
  since_ = clock_->now();
  since_wall_ = std::chrono::system_clock::now();
  reason_ = reason;
  const std::string peer = channel_ && !channel_->peer_node().empty() ? channel_->peer_node()
                           : config_                                 ? config_->address.to_string()
                                                                     : "peer";
  const std::string message = "peer " + peer + ": " + from + " -> " + next + (reason.empty() ? "" : ": " + reason);
  if (next == "in-sync" || next == "syncing") {
    spdlog::info("{}", message);
  } else {
    spdlog::warn("{}", message);
  }
  ctx_.events.publish("peer", peer, message, {{"from", from}, {"to", next}, {"reason", reason}});
}

void Service::reload(const conf::Config& config, const conf::ConfigDiff& diff) {
  node_ = config.node;
  if (!config.peer) {
    if (channel_) {
      spdlog::info("peer: section removed; closing the channel");
      lease_sync_.reset();
      close_all();
      update_state("the peer section was removed");
    }
    return;
  }
  if (!lease_sync_) {
    start(config);
    return;
  }
  const Scope scope = scope_of(config);
  // What the hellos compare changed, or the channel itself did: a fresh
  // connection exchanges the new hellos. A changed key file too.
  conf::Peer before = config_.value_or(conf::Peer{}), after = *config.peer;
  before.key_stamp = after.key_stamp = {};
  bool reopen = !(before == after) || diff.node || !diff.dhcp_subnets.empty() || !channel_;
  lease_sync_->set_scope(scope);
  if (!reopen) {
    if (auto secret = conf::read_key_file(config.peer->key_file)) {
      reopen = master_key(*secret) != master_;
      conf::wipe(*secret);
      if (reopen) spdlog::info("peer: {} holds a new secret", config.peer->key_file);
    }
  }
  if (!reopen) return;
  spdlog::info("peer: configuration changed; reconnecting");
  close_all();
  try {
    open(config);
  } catch (const std::exception& e) {
    spdlog::error("peer: {}", e.what());
    update_state(e.what());
    throw;
  }
}

void Service::close_all() {
  timer_->cancel();
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  if (channel_) {
    channel_->stop(clock_->now());
    execute();
  }
  for (auto& [id, c] : connections_) {
    c->closed = true;
    boost::system::error_code ignored;
    c->socket.close(ignored);
  }
  connections_.clear();
  channel_.reset();
}

void Service::stop(std::function<void()> done) {
  if (!channel_) {
    done();
    return;
  }
  if (acceptor_) {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
    acceptor_.reset();
  }
  // What waits in the coalescing window goes now.
  if (lease_sync_) lease_sync_->flush();
  execute();
  // What is queued (the last lease batch after DHCP's final flush) may
  // leave for up to kStopFlush, then everything closes.
  stop_done_ = std::move(done);
  stop_deadline_ = clock_->now() + kStopFlush;
  finish_stop();
}

void Service::finish_stop() {
  bool pending = false;
  for (const auto& [id, c] : connections_) pending |= !c->out.empty();
  if (pending && clock_->now() < stop_deadline_) {
    timer_->arm(clock_->now() + std::chrono::milliseconds(20), [this] { finish_stop(); });
    return;
  }
  stopping_ = true;
  close_all();
  spdlog::info("peer: channel closed");
  if (auto done = std::exchange(stop_done_, nullptr)) done();
}

void Service::attach(PeerMessageType first, std::string name, PeerUser& user) {
  for (const auto& u : users_) {
    if (u.first == first) throw std::logic_error("peer: type block " + std::to_string(first) + " is taken");
  }
  users_.push_back(Registered{first, name, &user});
  if (channel_) channel_->attach(first, std::move(name), user);
}

void Service::detach(PeerUser& user) {
  std::erase_if(users_, [&](const Registered& r) { return r.user == &user; });
  if (channel_) channel_->detach(user);
}

bool Service::send(PeerMessageType type, std::span<const std::byte> payload) {
  if (!channel_ || !channel_->send(type, payload)) return false;
  execute_soon();
  return true;
}

void Service::status(nlohmann::json& out) const {
  if (!config_) return;
  using nlohmann::json;
  const SteadyTime now = clock_->now();
  json p = {{"address", config_->address.to_string()},
            {"port", config_->port},
            {"local", config_->local ? json(config_->local->to_string()) : json(nullptr)},
            {"state", state_},
            {"since", utc_text(since_wall_)},
            {"since_s", seconds(now - since_)}};
  if (!reason_.empty()) p["reason"] = reason_;
  if (!listen_error_.empty()) p["listen_error"] = listen_error_;
  if (channel_) {
    const auto& c = channel_->counters();
    p["node"] = channel_->peer_node().empty() ? json(nullptr) : json(channel_->peer_node());
    p["channel"] = to_string(channel_->state());
    if (auto r = channel_->role()) p["dialed_by"] = *r == Role::dialer ? "us" : "peer";
    if (auto t = channel_->last_message()) {
      p["last_message"] = utc_text(std::chrono::system_clock::now() -
                              std::chrono::duration_cast<std::chrono::system_clock::duration>(now - *t));
      p["last_message_s"] = seconds(now - *t);
    } else {
      p["last_message"] = nullptr;
    }
    if (auto r = channel_->rtt()) {
      p["rtt_ms"] = std::chrono::duration<double, std::milli>(*r).count();
    } else {
      p["rtt_ms"] = nullptr;
    }
    p["messages"] = {{"out", c.messages_out}, {"in", c.messages_in}};
    p["bytes"] = {{"out", c.bytes_out}, {"in", c.bytes_in}};
    p["send_queue_bytes"] = channel_->queued();
    json rejected = json::object();
    for (std::size_t i = 0; i < kRejectCount; ++i) rejected[std::string(to_string(static_cast<Reject>(i)))] = c.rejected[i];
    if (lease_sync_) {
      const auto& s = lease_sync_->counters();
      for (std::size_t i = 0; i < kSyncRejectCount; ++i) {
        rejected["lease_" + std::string(to_string(static_cast<SyncReject>(i)))] = s.rejected[i];
      }
    }
    p["rejected"] = std::move(rejected);
    p["connections"] = {{"dials", c.dials},         {"dial_failures", c.dial_failures}, {"accepted", c.accepted},
                        {"sessions", c.sessions},   {"replaced", c.replaced},           {"timeouts", c.timeouts},
                        {"open", channel_->connections()}};
  }
  if (lease_sync_) {
    const auto& s = lease_sync_->counters();
    auto pos = [](Position x) { return json{{"epoch", x.epoch}, {"seq", x.seq}}; };
    p["backlog"] = lease_sync_->backlog();
    json ls = {{"state", to_string(lease_sync_->state())},
               {"sent", pos(lease_sync_->sent_position())},
               {"acked", pos(lease_sync_->acked_position())},
               {"applied", pos(lease_sync_->applied_position())},
               {"records_sent", s.records_sent},
               {"records_received", s.records_received},
               {"fulls_sent", s.fulls_sent},
               {"fulls_received", s.fulls_received},
               {"deltas_sent", s.deltas_sent},
               {"acks_sent", s.acks_sent},
               {"acks_received", s.acks_received},
               {"backlog_overflows", s.backlog_overflows}};
    if (auto t = lease_sync_->last_catch_up()) ls["last_catch_up_ms"] = t->count();
    ls["lag_ms"] = std::chrono::duration<double, std::milli>(lease_sync_->lag()).count();
    if (!lease_sync_->reason().empty()) ls["reason"] = lease_sync_->reason();
    p["lease_sync"] = std::move(ls);
  } else {
    p["backlog"] = 0;
  }
  out["peer"] = std::move(p);
}

void Service::collect(MetricSet& out) const {
  if (!config_ || !channel_) return;
  const auto& c = channel_->counters();
  for (const char* s : {"connecting", "syncing", "in-sync", "down"}) {
    out.gauge("pairgate_peer_state", "The peer channel's state (1 for the current one).", {{"state", s}},
              state_ == s ? 1 : 0);
  }
  out.counter("pairgate_peer_messages_total", "Messages on the peer channel.", {{"direction", "out"}},
              static_cast<double>(c.messages_out));
  out.counter("pairgate_peer_messages_total", "Messages on the peer channel.", {{"direction", "in"}},
              static_cast<double>(c.messages_in));
  out.counter("pairgate_peer_bytes_total", "Bytes on the peer channel's connections.", {{"direction", "out"}},
              static_cast<double>(c.bytes_out));
  out.counter("pairgate_peer_bytes_total", "Bytes on the peer channel's connections.", {{"direction", "in"}},
              static_cast<double>(c.bytes_in));
  for (std::size_t i = 0; i < kRejectCount; ++i) {
    out.counter("pairgate_peer_rejected_total", "Peer connections and messages refused, by reason.",
                {{"reason", std::string(to_string(static_cast<Reject>(i)))}}, static_cast<double>(c.rejected[i]));
  }
  if (auto r = channel_->rtt()) {
    out.gauge("pairgate_peer_rtt_seconds", "Round-trip time of the last ping on the peer channel.", {},
              std::chrono::duration<double>(*r).count());
  }
  if (lease_sync_) {
    const auto& s = lease_sync_->counters();
    for (std::size_t i = 0; i < kSyncRejectCount; ++i) {
      out.counter("pairgate_peer_rejected_total", "Peer connections and messages refused, by reason.",
                  {{"reason", "lease_" + std::string(to_string(static_cast<SyncReject>(i)))}},
                  static_cast<double>(s.rejected[i]));
    }
    out.gauge("pairgate_peer_lease_backlog", "Lease changes not yet acknowledged by the peer.", {},
              static_cast<double>(lease_sync_->backlog()));
    out.gauge("pairgate_peer_lease_lag_seconds",
              "How long the oldest lease change the peer has not acknowledged has waited (0: none).", {},
              std::chrono::duration<double>(lease_sync_->lag()).count());
    out.counter("pairgate_peer_lease_records_total", "Lease records sent to and received from the peer.",
                {{"direction", "out"}}, static_cast<double>(s.records_sent));
    out.counter("pairgate_peer_lease_records_total", "Lease records sent to and received from the peer.",
                {{"direction", "in"}}, static_cast<double>(s.records_received));
  }
}

}  // namespace pairgate::peer
