#include "ctsync/service.h"

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/vrrp_transition.h"

namespace pairgate::ctsync {

Service::Service(ModuleContext ctx, PeerChannel& channel)
    : ctx_(ctx), channel_(channel), clock_(make_steady_clock(ctx.io)), timer_(clock_->make_timer()) {
  channel_.attach(peer_types::conntrack_first, "state_sync", *this);
  metrics_id_ = ctx_.metrics.add([this](MetricSet& out) { collect(out); });
}

Service::~Service() {
  *alive_ = false;
  if (subscription_) ctx_.events.unsubscribe(*subscription_);
  ctx_.metrics.remove(metrics_id_);
  channel_.detach(*this);
  pool_.reset();  // joins a dump or commit under way; its result is dropped (alive_)
}

std::set<std::string> Service::followed(const conf::Config& c) {
  std::set<std::string> out;
  if (!c.firewall || !c.firewall->state_sync || !c.vrrp) return out;
  const auto& want = c.firewall->state_sync_instance;
  for (const auto& g : c.vrrp->sync_groups) {
    if (want == g.name || (want.empty() && c.vrrp->sync_groups.size() == 1)) {
      out.insert(g.instances.begin(), g.instances.end());
      return out;
    }
  }
  for (const auto& i : c.vrrp->instances) {
    if (want == i.name || (want.empty() && c.vrrp->instances.size() == 1)) out.insert(i.name);
  }
  return out;
}

void Service::start(const conf::Config& config) {
  if (config.firewall && config.firewall->state_sync) enable(config);
}

void Service::reload(const conf::Config& config, const conf::ConfigDiff&) {
  const bool want = config.firewall && config.firewall->state_sync;
  if (!want) {
    if (engine_) disable();
    return;
  }
  if (!engine_) {
    try {
      enable(config);
    } catch (const std::exception& e) {
      error_ = e.what();
      spdlog::error("firewall state sync: {}", e.what());
    }
    return;
  }
  engine_->set_max_entries(config.firewall->state_sync_max_entries);
  max_entries_ = config.firewall->state_sync_max_entries;
  followed_ = followed(config);
}

void Service::enable(const conf::Config& config) {
  Engine::Options o;
  o.max_entries = config.firewall->state_sync_max_entries;
  max_entries_ = o.max_entries;
  engine_ = std::make_unique<Engine>(o, clock_->now());
  followed_ = followed(config);
  if (!pool_) pool_ = std::make_unique<boost::asio::thread_pool>(1);
  events_ = std::make_unique<EventSocket>(
      ctx_.io, [this](const Change& c) { if (engine_) apply(engine_->local(c, clock_->now())); },
      [this] {
        // Events were lost: the next refresh (sent at once) covers them.
        spdlog::warn("firewall state sync: conntrack events lost (socket buffer full); sending the whole table");
        if (engine_ && engine_->role() == Role::master && engine_->up()) run_dump();
      });
  try {
    events_->open();
  } catch (...) {
    events_.reset();
    engine_.reset();
    throw;
  }
  error_.clear();
  // The followed instance may have changed state before this module
  // started: its last transition in the bus's history sets the role.
  for (const auto& e : ctx_.events.since(0).events) on_event(e);
  subscription_ = ctx_.events.subscribe([this](const Event& e) { on_event(e); });
  if (channel_.is_up()) apply(engine_->channel_up(clock_->now()));
  spdlog::info("firewall state sync on: following {}, {} as {}, cache up to {} entries",
               followed_.empty() ? std::string("nothing") : *followed_.begin(),
               followed_.size() > 1 ? "and its sync group" : "alone", to_string(engine_->role()),
               o.max_entries);
}

void Service::disable() {
  if (subscription_) ctx_.events.unsubscribe(*subscription_);
  subscription_.reset();
  timer_->cancel();
  events_.reset();
  engine_.reset();
  spdlog::info("firewall state sync off");
}

void Service::stop(std::function<void()> done) {
  if (engine_) disable();
  done();
}

void Service::on_event(const Event& e) {
  auto t = vrrp_transition(e);
  if (!engine_ || !t || !followed_.contains(t->instance)) return;
  const Role role = t->master() ? Role::master : Role::backup;
  if (role == engine_->role()) return;
  spdlog::info("firewall state sync: {} is {}: {}", t->instance, t->to,
               role == Role::master ? "committing the cached state, then sending" : "stop sending, caching");
  apply(engine_->set_role(role, clock_->now()));
}

void Service::up(const PeerHello& peer) {
  peer_node_ = peer.node;
  if (engine_) apply(engine_->channel_up(clock_->now()));
}

void Service::down(std::string_view) {
  if (engine_) engine_->channel_down();
}

void Service::message(PeerMessageType type, std::span<const std::byte> payload) {
  if (!engine_) return;  // state sync is off here: the peer's messages have nowhere to go
  apply(engine_->message(type, payload, clock_->now()));
}

void Service::apply(Effects effects) {
  for (auto& [type, payload] : effects.send) {
    if (!channel_.send(type, payload)) {
      engine_->refused(type == msg::changes && payload.size() >= 3 ? (payload.size() - 3) / kChangeBytes : 0);
    }
  }
  if (effects.commit) run_commit(std::move(*effects.commit));
  if (effects.dump_kernel) run_dump();
  arm();
}

void Service::arm() {
  if (!engine_) return;
  auto at = engine_->next_wake();
  if (!at) {
    timer_->cancel();
    return;
  }
  timer_->arm(*at, [this] {
    if (engine_) apply(engine_->tick(clock_->now()));
  });
}

void Service::run_dump() {
  if (dumping_ || !pool_) return;
  dumping_ = true;
  // The master's table is read up to the same bound as the backup's cache:
  // what the backup would drop (cap) is not worth reading.
  const std::size_t cap = max_entries_;
  boost::asio::post(*pool_, [this, alive = std::weak_ptr<bool>(alive_), cap] {
    auto table = dump_table(cap);
    boost::asio::post(ctx_.io, [this, alive, table = std::move(table)] {
      if (!alive.lock()) return;
      dumping_ = false;
      if (!engine_) return;
      if (!table) {
        spdlog::warn("firewall state sync: {}", table.error());
        return;
      }
      apply(engine_->dumped(*table, clock_->now()));
    });
  });
}

void Service::run_commit(std::vector<Entry> entries) {
  if (!pool_) return;
  committing_ = true;
  const std::size_t n = entries.size();
  spdlog::info("firewall state sync: committing {} entries to the kernel table", n);
  boost::asio::post(*pool_, [this, alive = std::weak_ptr<bool>(alive_), entries = std::move(entries)] {
    auto r = commit_entries(entries);
    boost::asio::post(ctx_.io, [this, alive, r] {
      if (!alive.lock()) return;
      committing_ = false;
      if (engine_) engine_->committed(r.ok, r.failed, r.took);
      std::string line = "firewall state sync: committed " + std::to_string(r.ok) + " entries in " +
                         std::to_string(r.took.count()) + " ms";
      if (r.replaced) line += " (" + std::to_string(r.replaced) + " in place of an entry with another mapping)";
      if (r.failed) line += ", " + std::to_string(r.failed) + " failed (first: " + r.first_error + ")";
      if (r.failed) {
        spdlog::warn("{}", line);
      } else {
        spdlog::info("{}", line);
      }
      ctx_.events.publish("firewall", "state_sync", line,
                          {{"committed", r.ok}, {"failed", r.failed}, {"replaced", r.replaced}, {"duration_ms", r.took.count()}});
    });
  });
}

void Service::status(nlohmann::json& out) const {
  if (!engine_ && error_.empty()) return;
  auto& f = out["firewall"];
  if (!f.is_object()) f = nlohmann::json::object();
  auto& s = f["state_sync"];
  if (!error_.empty()) s["error"] = error_;
  if (!engine_) return;
  const auto& c = engine_->counters();
  s["role"] = to_string(engine_->role());
  s["following"] = followed_;
  s["channel"] = engine_->up() ? "up" : "down";
  s["cached"] = engine_->cached();
  s["pending"] = engine_->pending();
  s["sent"] = c.sent;
  s["received"] = c.received;
  s["committed"] = c.committed;
  s["commit_failed"] = c.commit_failed;
  s["send_refused"] = c.send_refused;
  s["refreshes"] = c.refreshes;
  s["dump_requests_sent"] = c.dump_requests_sent;
  s["dump_requests_received"] = c.dump_requests_received;
  s["kernel_events"] = events_ ? events_->events() : 0;
  s["kernel_overflows"] = events_ ? events_->overflows() : 0;
  auto& d = s["dropped"];
  for (std::size_t i = 0; i < kDropCount; ++i) d[std::string(to_string(static_cast<Drop>(i)))] = c.dropped[i];
  const auto ms = engine_->last_commit_duration();
  s["last_commit_ms"] = ms ? nlohmann::json(ms->count()) : nlohmann::json(nullptr);
  const auto n = engine_->last_commit_entries();
  s["last_commit_entries"] = n ? nlohmann::json(*n) : nlohmann::json(nullptr);
  s["committing"] = committing_;
}

void Service::collect(MetricSet& out) const {
  if (!engine_) return;
  const auto& c = engine_->counters();
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  out.gauge("pairgate_firewall_state_sync_master", "Whether this router sends its conntrack state (1) or caches the peer's (0).",
            {}, engine_->role() == Role::master ? 1 : 0);
  out.gauge("pairgate_firewall_state_sync_cached", "Conntrack entries of the peer's held for a takeover.", {},
            d(engine_->cached()));
  out.counter("pairgate_firewall_state_sync_sent_total", "Conntrack entries sent to the peer.", {}, d(c.sent));
  out.counter("pairgate_firewall_state_sync_received_total", "Conntrack entries received from the peer.", {},
              d(c.received));
  out.counter("pairgate_firewall_state_sync_committed_total", "Conntrack entries committed to the kernel at takeovers.",
              {}, d(c.committed));
  out.counter("pairgate_firewall_state_sync_commit_failed_total", "Conntrack entries the kernel refused at takeovers.",
              {}, d(c.commit_failed));
  for (std::size_t i = 0; i < kDropCount; ++i) {
    out.counter("pairgate_firewall_state_sync_dropped_total", "Conntrack entries (malformed: messages) not kept, by reason.",
                {{"reason", std::string(to_string(static_cast<Drop>(i)))}}, d(c.dropped[i]));
  }
  if (auto ms = engine_->last_commit_duration()) {
    out.gauge("pairgate_firewall_state_sync_last_commit_seconds", "How long the last takeover's commit took.", {},
              static_cast<double>(ms->count()) / 1000.0);
  }
}

}  // namespace pairgate::ctsync
