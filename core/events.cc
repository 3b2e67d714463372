#include "core/events.h"

#include <cstdio>
#include <ctime>

namespace pairgate {

nlohmann::json to_json(const Event& e) {
  using namespace std::chrono;
  const auto ms = duration_cast<milliseconds>(e.time.time_since_epoch()).count();
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  const auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms % 1000));
  return {{"seq", e.seq}, {"time", buf}, {"kind", e.kind}, {"subject", e.subject}, {"message", e.message}, {"data", e.data}};
}

EventBus::EventBus(std::size_t history, WallClock wall) : capacity_(history), wall_(std::move(wall)) {}

std::uint64_t EventBus::publish(std::string kind, std::string subject, std::string message, nlohmann::json data) {
  Event e{next_seq_++, wall_(), std::move(kind), std::move(subject), std::move(message), std::move(data)};
  const std::uint64_t seq = e.seq;
  history_.push_back(e);
  if (history_.size() > capacity_) history_.pop_front();
  pending_.push_back(std::move(e));
  if (!delivering_) deliver();
  return seq;
}

void EventBus::deliver() {
  delivering_ = true;
  while (!pending_.empty()) {
    const Event e = std::move(pending_.front());
    pending_.pop_front();
    // Listeners may (un)subscribe while we deliver: walk by id, never by iterator.
    for (SubscriptionId id = 0;;) {
      auto it = listeners_.upper_bound(id);
      if (it == listeners_.end()) break;
      id = it->first;
      Listener l = it->second;
      l(e);
    }
  }
  delivering_ = false;
}

EventBus::SubscriptionId EventBus::subscribe(Listener listener) {
  const auto id = next_id_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void EventBus::unsubscribe(SubscriptionId id) { listeners_.erase(id); }

EventBus::Backlog EventBus::since(std::uint64_t seq) const {
  Backlog out;
  const std::uint64_t oldest = history_.empty() ? next_seq_ : history_.front().seq;
  if (seq + 1 < oldest) out.missed = oldest - (seq + 1);
  for (const auto& e : history_) {
    if (e.seq > seq) out.events.push_back(e);
  }
  return out;
}

}  // namespace pairgate
