#include "ctsync/engine.h"

#include <algorithm>

namespace pairgate::ctsync {

std::string_view to_string(Role r) { return r == Role::master ? "master" : "backup"; }

std::string_view to_string(Drop d) {
  constexpr std::array<std::string_view, kDropCount> names = {"cap", "malformed", "expired", "wrong_role"};
  return names[static_cast<std::size_t>(d)];
}

Engine::Engine(Options options, SteadyTime now)
    : options_(options), next_sweep_(now + options.sweep), next_refresh_(now + options.refresh) {}

void Engine::request_dump(Effects& out) {
  out.send.emplace_back(msg::dump_request, encode_dump_request());
  ++counters_.dump_requests_sent;
}

Effects Engine::set_role(Role role, SteadyTime now) {
  Effects out;
  if (role == role_) return out;
  role_ = role;
  pending_.clear();
  window_end_.reset();
  if (role == Role::master) {
    // Takeover: what the old master last said is committed, with what is
    // left of each timeout; the cache is then no longer needed.
    expire(now);
    std::vector<Entry> entries;
    entries.reserve(cache_.size());
    for (auto& [key, c] : cache_) {
      Entry e = c.entry;
      const auto left = std::chrono::ceil<std::chrono::seconds>(c.expires - now).count();
      e.timeout_s = static_cast<std::uint32_t>(std::max<long long>(left, 1));
      entries.push_back(e);
    }
    cache_.clear();
    out.commit = std::move(entries);
    next_refresh_ = now + options_.refresh;
    // The backup may have asked while this router was a backup too.
    if (up_) out.dump_kernel = true;
  } else if (up_) {
    request_dump(out);
  }
  return out;
}

Effects Engine::channel_up(SteadyTime now) {
  Effects out;
  up_ = true;
  next_refresh_ = now + options_.refresh;
  if (role_ == Role::backup) request_dump(out);
  return out;
}

void Engine::channel_down() {
  up_ = false;
  pending_.clear();
  window_end_.reset();
  // The cache stays: the master may have died, which is when it is needed.
}

void Engine::queue(const Change& c) {
  auto it = pending_.find(c.entry.key);
  if (it != pending_.end()) {
    it->second = c;  // the last word on a flow within the window wins
    return;
  }
  if (pending_.size() >= options_.max_entries) {
    drop(Drop::cap);
    return;
  }
  pending_.emplace(c.entry.key, c);
}

Effects Engine::local(const Change& change, SteadyTime now) {
  Effects out;
  if (role_ != Role::master || !up_) return out;
  queue(change);
  if (!window_end_) window_end_ = now + options_.coalesce;
  if (options_.coalesce.count() == 0) flush(out);
  return out;
}

Effects Engine::dumped(std::span<const Entry> entries, SteadyTime now) {
  Effects out;
  if (role_ != Role::master || !up_) return out;
  for (const auto& e : entries) queue(Change{Op::update, e});
  next_refresh_ = now + options_.refresh;
  flush(out);
  return out;
}

void Engine::flush(Effects& out) {
  window_end_.reset();
  std::vector<Change> batch;
  batch.reserve(std::min(pending_.size(), kMaxChangesPerMessage));
  for (auto it = pending_.begin(); it != pending_.end();) {
    batch.push_back(it->second);
    it = pending_.erase(it);
    if (batch.size() == kMaxChangesPerMessage || it == pending_.end()) {
      out.send.emplace_back(msg::changes, encode_changes(batch));
      counters_.sent += batch.size();
      batch.clear();
    }
  }
}

Effects Engine::message(PeerMessageType type, std::span<const std::byte> payload, SteadyTime now) {
  Effects out;
  if (type == msg::dump_request) {
    if (!parse_dump_request(payload)) {
      drop(Drop::malformed);
      return out;
    }
    ++counters_.dump_requests_received;
    // A backup ignores it: both routers start as backups and ask; the one
    // that becomes master sends its table then (set_role).
    if (role_ == Role::master && up_) out.dump_kernel = true;
    return out;
  }
  if (type != msg::changes) {
    drop(Drop::malformed);
    return out;
  }
  auto changes = parse_changes(payload);
  if (!changes) {
    drop(Drop::malformed);
    return out;
  }
  counters_.received += changes->size();
  if (role_ == Role::master) {
    // Two masters (a split pair): each keeps its own table.
    drop(Drop::wrong_role, changes->size());
    return out;
  }
  for (const auto& c : *changes) {
    if (c.op == Op::destroy) {
      cache_.erase(c.entry.key);
      continue;
    }
    const SteadyTime expires = now + std::chrono::seconds(c.entry.timeout_s);
    if (auto it = cache_.find(c.entry.key); it != cache_.end()) {
      it->second = Cached{c.entry, expires};
    } else if (cache_.size() >= options_.max_entries) {
      drop(Drop::cap);
    } else {
      cache_.emplace(c.entry.key, Cached{c.entry, expires});
    }
  }
  return out;
}

void Engine::expire(SteadyTime now) {
  std::uint64_t n = std::erase_if(cache_, [&](const auto& kv) { return kv.second.expires <= now; });
  drop(Drop::expired, n);
}

Effects Engine::tick(SteadyTime now) {
  Effects out;
  if (now >= next_sweep_) {
    expire(now);
    next_sweep_ = now + options_.sweep;
  }
  if (window_end_ && now >= *window_end_) flush(out);
  if (role_ == Role::master && up_ && now >= next_refresh_) {
    ++counters_.refreshes;
    next_refresh_ = now + options_.refresh;
    out.dump_kernel = true;
  }
  return out;
}

std::optional<SteadyTime> Engine::next_wake() const {
  std::optional<SteadyTime> at;
  auto consider = [&](SteadyTime t) {
    if (!at || t < *at) at = t;
  };
  if (window_end_) consider(*window_end_);
  if (!cache_.empty()) consider(next_sweep_);
  if (role_ == Role::master && up_) consider(next_refresh_);
  return at;
}

void Engine::committed(std::size_t ok, std::size_t failed, std::chrono::milliseconds took) {
  counters_.committed += ok;
  counters_.commit_failed += failed;
  ++counters_.commits;
  last_commit_ms_ = took;
  last_commit_entries_ = ok;
}

}  // namespace pairgate::ctsync
