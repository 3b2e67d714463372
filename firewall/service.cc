#include "firewall/service.h"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "core/events.h"

#include "firewall/render.h"
#include "core/sched.h"

namespace pairgate::firewall {

namespace {

// A "tunnel_map" event's data (tunnel/mape.h map_event_data) as the NAT's
// input; nullopt when it does not read (counted by the caller).
std::optional<MapNat> map_nat_of(const nlohmann::json& d) {
  if (!d.is_object() || !d.contains("tunnel") || !d["tunnel"].is_string() || !d.contains("ipv4") ||
      !d["ipv4"].is_string() || !d.contains("port_sets") || !d["port_sets"].is_array()) {
    return std::nullopt;
  }
  auto a = Ipv4Address::parse(d["ipv4"].get<std::string>());
  const auto& sets = d["port_sets"];
  if (!a || sets.empty() || sets.size() > 65535) return std::nullopt;
  MapNat nat{d["tunnel"].get<std::string>(), *a, {}};
  for (const auto& s : sets) {
    if (!s.is_array() || s.size() != 2 || !s[0].is_number_integer() || !s[1].is_number_integer()) return std::nullopt;
    const auto first = s[0].get<std::int64_t>(), last = s[1].get<std::int64_t>();
    if (first < 0 || first > last || last > 65535) return std::nullopt;
    nat.port_sets.push_back({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
  }
  return nat;
}

}  // namespace

Service::Service(ModuleContext ctx, std::unique_ptr<Nft> nft, std::chrono::milliseconds check_every, Offload offload)
    : ctx_(ctx), nft_(std::move(nft)), check_every_(check_every), timer_(ctx.io), offload_(std::move(offload)) {
  if (!offload_) {
    pool_ = std::make_unique<boost::asio::thread_pool>(1);
    offload_ = [pool = pool_.get()](std::function<void()> job) {
      boost::asio::post(*pool, [job = std::move(job)] {
        leave_realtime();  // nft calls take tens of ms: not at the loop's policy
        job();
      });
    };
  }
  metrics_id_ = ctx_.metrics.add([this](MetricSet& out) { collect(out); });
}

Service::~Service() {
  ctx_.metrics.remove(metrics_id_);
  if (events_subscription_) ctx_.events.unsubscribe(*events_subscription_);
  *alive_ = false;
  if (pool_) pool_->join();  // a reading in progress ends before nft_ goes
}

std::expected<std::string, std::string> Service::run(const std::string& script, bool json) const {
  std::lock_guard lock(nft_mutex_);
  return nft_->run(script, json);
}

// A table that cannot be applied at start-up stops the daemon: forwarding
// without the firewall the file asks for is worse than not starting.
void Service::start(const conf::Config& config) {
  // Mappings published before the firewall started (the tunnel module
  // started first), then every later one.
  for (const auto& e : ctx_.events.since(0).events) take_map(e);
  events_subscription_ = ctx_.events.subscribe([this](const Event& e) { on_event(e); });
  apply(config);
  if (enabled_ && applied_.empty()) throw std::runtime_error("firewall: " + error_);
  flush_remapped();
  if (check_every_.count() != 0) read_counters();  // the first reading at once
  watch();
}

void Service::watch() {
  if (check_every_.count() == 0) return;
  timer_.expires_after(check_every_);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    read_counters();
    watch();
  });
}

// On the helper: one `list counters table`, which fails when the table is
// gone. The answer goes back to the loop.
void Service::read_counters() const {
  if (reading_ || applied_.empty() || !nft_) return;
  reading_ = true;
  // The answer is a later event of the loop's, on the service itself (status,
  // which is const, only asks for it).
  auto* self = const_cast<Service*>(this);
  auto maps = maps_for(last_);
  offload_([self, table = applied_table_, generation = generation_, alive = alive_, maps = std::move(maps),
            monitors = usage_monitors_, sources = usage_sources_] {
    Reading r;
    read_usage(*monitors, maps, sources, r.usage);
    auto out = self->run("list counters table inet " + table, true);
    r.present = out.has_value();
    if (out) {
      auto j = nlohmann::json::parse(*out, nullptr, false);
      if (!j.is_discarded() && j.contains("nftables")) {
        for (const auto& item : j["nftables"]) {
          if (!item.contains("counter")) continue;
          const auto& c = item["counter"];
          const auto packets = c.value("packets", std::uint64_t{0});
          if (c.value("name", "") == "input_drops") r.input_drops = packets;
          if (c.value("name", "") == "forward_drops") r.forward_drops = packets;
        }
      }
    }
    boost::asio::post(self->ctx_.io, [self, r, generation, alive] {
      if (*alive) self->on_reading(r, generation);
    });
  });
}

void Service::read_usage(UsageMonitors& monitors, const std::vector<MapNat>& maps, const MapUsageSources& sources,
                         std::map<std::string, MapUsage>& out) {
  std::erase_if(monitors.tunnels, [&](const auto& m) {
    return std::ranges::none_of(maps, [&](const MapNat& n) { return n.tunnel == m.first; });
  });
  const auto now = std::chrono::steady_clock::now();
  for (const auto& nat : maps) {
    auto& one = monitors.tunnels[nat.tunnel];
    if (!one.monitor || one.nat.address != nat.address || one.nat.port_sets != nat.port_sets) {
      // A new mapping (renumbered): a new baseline for the exhaustion drops.
      one = {nat, std::make_unique<MapUsageMonitor>(nat.address, nat.port_sets, sources), {}, std::nullopt};
    }
    if (!one.read_at || now - *one.read_at >= 20 * one.last.took) {
      one.last = one.monitor->read();
      one.read_at = now;
    }
    out[nat.tunnel] = one.last;
  }
}

void Service::on_reading(const Reading& r, std::uint64_t generation) {
  reading_ = false;
  if (generation != generation_ || applied_.empty()) return;  // the table changed meanwhile
  if (!r.present) {
    // Another program deleted the table (`nft flush ruleset`): put it back
    // and count it, as VRRP does with its addresses.
    ++restored_;
    spdlog::warn("firewall: table inet {} was removed by someone else; applying it again", applied_table_);
    forget();
    restoring_ = true;
    apply(last_);  // read again at the next check, not at once: no loop if it keeps vanishing
    restoring_ = false;
    return;
  }
  ++readings_;
  // MAP-E port sets exhausted: new flows were dropped at conntrack confirm
  // (nothing in the table sees them). Said once a reading, while it grows.
  std::uint64_t exhausted = 0;
  for (const auto& [tunnel, u] : r.usage) exhausted += u.exhausted_drops;
  if (exhausted > exhaustion_logged_) {
    for (const auto& [tunnel, u] : r.usage) {
      if (u.exhausted_drops == 0) continue;
      spdlog::warn("firewall: MAP-E {}: port sets exhausted: {} new flows dropped since the mapping began ({} of {} ports "
                   "in use)",
                   tunnel, u.exhausted_drops, u.ports_in_use, u.ports);
    }
  }
  exhaustion_logged_ = exhausted;
  reading_in_force_ = r;
  read_at_ = std::chrono::steady_clock::now();
}

// The table depends on more than the firewall section (tunnels, VRRP
// interfaces, the node name); rendering is cheap, so compare the text. The
// apply script deletes before it adds (render_apply_script), so it needs no
// knowledge of what the kernel holds; whether the table is still there is
// asked off the loop, as for status, and a missing one is put back then.
void Service::reload(const conf::Config& config, const conf::ConfigDiff&) {
  apply(config);
  read_counters();
}

bool Service::take_map(const Event& e) {
  if (e.kind != "tunnel_map") return false;
  if (e.data.value("active", false)) {
    auto nat = map_nat_of(e.data);
    if (!nat || nat->tunnel != e.subject) {
      ++map_events_refused_;
      spdlog::error("firewall: a tunnel_map event for {} does not read; its NAT is not changed", e.subject);
      return false;
    }
    auto it = maps_.find(e.subject);
    if (it != maps_.end() && it->second.address == nat->address && it->second.port_sets == nat->port_sets) return false;
    // A tunnel's first mapping flushes too: entries left from before a
    // restart may hold the same address with ports of another PSID.
    remapped_.push_back({it != maps_.end() ? it->second : *nat, *nat});
    maps_[e.subject] = std::move(*nat);
  } else if (maps_.erase(e.subject) == 0) {
    return false;
  }
  ++map_updates_;
  return true;
}

void Service::on_event(const Event& e) {
  if (take_map(e) && configured_) {
    spdlog::info("firewall: MAP-E mapping of {} {}; re-rendering the NAT", e.subject,
                 maps_.contains(e.subject) ? "changed" : "withdrawn");
    apply(last_);
    flush_remapped();
  }
}

void Service::flush_remapped() {
  auto remapped = std::exchange(remapped_, {});
  if (!enabled_ || !usage_sources_.flush) return;
  for (auto& r : remapped) {
    offload_([this, r = std::move(r), flush = usage_sources_.flush, alive = alive_] {
      auto out = flush(r.old.address, [&](const ReplyEnd& e) { return stale_after_remap(e, r.now.address, r.now.port_sets); });
      boost::asio::post(ctx_.io, [this, tunnel = r.old.tunnel, old = r.old.address, out = std::move(out), alive] {
        if (!*alive) return;
        if (!out) {
          ++map_flush_failures_;
          spdlog::error("firewall: MAP-E {}: the flows of an earlier mapping ({}) could not be deleted: {}", tunnel,
                        old.to_string(), out.error());
          return;
        }
        map_flushed_ += out->deleted;
        if (out->failed != 0 || out->truncated) {
          ++map_flush_failures_;
          spdlog::error("firewall: MAP-E {}: {} flows of an earlier mapping would not be deleted{}{}", tunnel,
                        out->failed, out->truncated ? " (more than one pass deletes; the rest time out)" : "",
                        out->first_error.empty() ? "" : ": " + out->first_error);
        }
        if (out->deleted != 0) {
          spdlog::info("firewall: MAP-E {}: {} flows of an earlier mapping ({}) deleted", tunnel, out->deleted,
                       old.to_string());
        }
      });
    });
  }
}

// Only tunnels of the configuration in force that are of type mape: a
// stale mapping of a removed tunnel renders nothing.
std::vector<MapNat> Service::maps_for(const conf::Config& config) const {
  std::vector<MapNat> out;
  for (const auto& t : config.tunnels) {
    if (!t.mape) continue;
    if (auto it = maps_.find(t.name); it != maps_.end()) out.push_back(it->second);
  }
  return out;
}

void Service::apply(const conf::Config& config) {
  last_ = config;
  configured_ = config.firewall.has_value();
  enabled_ = configured_ && config.firewall->enabled;
  if (configured_) table_ = config.firewall->table;
  if (!enabled_) {
    if (!applied_.empty()) remove();
    return;
  }
  const auto maps = maps_for(config);
  const std::string text = render_table(config, maps);
  if (text == applied_) return;  // unchanged: leave the kernel alone
  // libnftables is loaded only when a table is wanted: it costs memory.
  if (!nft_) {
    try {
      nft_ = make_libnftables();
    } catch (const std::exception& e) {
      ++failures_;
      error_ = e.what();
      spdlog::error("firewall: {}", error_);
      return;
    }
  }
  auto r = run(render_apply_script(config, applied_table_, maps));
  if (!r) {
    ++failures_;
    error_ = r.error();
    const std::string outcome = applied_.empty() ? "no pairgate table is in force" : "the previous table stays in force";
    spdlog::error("firewall: nft refused table inet {}: {}; {}", config.firewall->table, error_, outcome);
    publish("refused", "firewall: nft refused table inet " + config.firewall->table + ": " + error_ + "; " + outcome);
    return;
  }
  ++applies_;
  ++generation_;
  reading_in_force_.reset();
  error_.clear();
  const std::string what = restoring_ ? "re-applied" : applied_.empty() ? "applied" : "replaced";
  spdlog::info("firewall: table inet {} {}", config.firewall->table, what);
  publish(what, "firewall: table inet " + config.firewall->table + " " + what +
                    (restoring_ ? " (someone else had removed it)" : ""));
  applied_ = text;
  applied_table_ = config.firewall->table;
}

void Service::remove() {
  auto r = run(render_delete_script(applied_table_));
  if (!r) {
    error_ = r.error();
    spdlog::error("firewall: cannot remove table inet {}: {}", applied_table_, error_);
    return;
  }
  spdlog::info("firewall: table inet {} removed", applied_table_);
  publish("removed", "firewall: table inet " + applied_table_ + " removed");
  forget();
}

void Service::forget() {
  applied_.clear();
  applied_table_.clear();
  ++generation_;
  reading_in_force_.reset();
}

void Service::stop(std::function<void()> done) {
  timer_.cancel();
  if (events_subscription_) ctx_.events.unsubscribe(*events_subscription_);
  events_subscription_.reset();
  if (!applied_.empty()) remove();
  done();
}

void Service::status(nlohmann::json& out) const {
  if (!configured_) {
    out["firewall"] = nullptr;
    return;
  }
  nlohmann::json f = {{"applied", !applied_.empty()}, {"enabled", enabled_}, {"table", table_},
                      {"applies", applies_}, {"failures", failures_}, {"restored", restored_}};
  if (!error_.empty()) f["error"] = error_;
  if (!maps_.empty() || map_updates_ != 0 || map_events_refused_ != 0) {
    // By tunnel, so that firewall/map_usage's reading can join each entry.
    auto m = nlohmann::json::object();
    for (const auto& [tunnel, nat] : maps_) {
      m[tunnel] = {{"address", nat.address.to_string()}, {"port_sets", nat.port_sets.size()},
                   {"counter", map_nat_counter(tunnel)}};
      // The port sets' use as of the last reading (firewall/map_usage.h).
      if (reading_in_force_) {
        if (auto u = reading_in_force_->usage.find(tunnel); u != reading_in_force_->usage.end()) {
          to_json(m[tunnel]["usage"], u->second);
        }
      }
    }
    f["mape"] = std::move(m);
    f["mape_events"] = {{"updates", map_updates_},
                        {"refused", map_events_refused_},
                        {"flows_flushed", map_flushed_},
                        {"flush_failures", map_flush_failures_}};
  }
  if (!applied_.empty()) {
    if (check_every_.count() != 0 &&
        (!reading_in_force_ || std::chrono::steady_clock::now() - read_at_ > std::chrono::seconds(1))) {
      read_counters();  // for the next request; this one gets what is known
    }
    // The last reading, made off the loop, and how old it is.
    const auto& r = reading_in_force_;
    f["drops"] = {{"input", r ? r->input_drops.value_or(0) : 0}, {"forward", r ? r->forward_drops.value_or(0) : 0}};
    f["drops_age_ms"] = r ? nlohmann::json(std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - read_at_)
                                               .count())
                          : nlohmann::json(nullptr);
  }
  out["firewall"] = std::move(f);
}

void Service::publish(const std::string& what, const std::string& message) {
  ctx_.events.publish("firewall", applied_table_.empty() ? table_ : applied_table_, message,
                      {{"action", what}, {"table", table_}, {"applies", applies_}, {"failures", failures_}});
}

void Service::collect(MetricSet& out) const {
  if (!configured_) return;
  auto d = [](std::uint64_t v) { return static_cast<double>(v); };
  out.gauge("pairgate_firewall_applied", "Whether pairgate's nftables table is in force (1) or not (0).", {},
            applied_.empty() ? 0 : 1);
  out.counter("pairgate_firewall_applies_total", "Times the table was applied or replaced.", {}, d(applies_));
  out.counter("pairgate_firewall_failures_total", "Times nft refused the table.", {}, d(failures_));
  out.counter("pairgate_firewall_restored_total", "Times the table was put back after someone else removed it.", {},
              d(restored_));
  if (applied_.empty()) return;
  if (check_every_.count() != 0 &&
      (!reading_in_force_ || std::chrono::steady_clock::now() - read_at_ > std::chrono::seconds(1))) {
    read_counters();  // for the next scrape; this one gets what is known
  }
  if (!reading_in_force_) return;
  // The last reading, made off the loop (as status shows it): no nft call here.
  const auto& r = *reading_in_force_;
  const std::pair<const char*, std::optional<std::uint64_t>> chains[] = {{"input", r.input_drops},
                                                                          {"forward", r.forward_drops}};
  for (const auto& [chain, n] : chains) {
    if (n) out.counter("pairgate_firewall_drops_total", "Packets the table dropped, by chain.", {{"chain", chain}}, d(*n));
  }
  for (const auto& [tunnel, u] : r.usage) collect_map_usage(u, tunnel, out);
}

}  // namespace pairgate::firewall
