// The ordered stream of state changes. Modules publish what changed (VRRP
// transitions, tunnel health, the peer channel, a full DHCP pool, the
// firewall re-applied, a reload); subscribers (pairgatectl events, the status
// page, notify programs) get every event in publish order, each with its
// sequence number and time. A bounded history lets a reader that connects
// or falls behind catch up, and tells it how many events it missed.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace pairgate {

struct Event {
  std::uint64_t seq = 0;  // 1, 2, ... in publish order
  std::chrono::system_clock::time_point time;
  std::string kind;       // "vrrp", "tunnel", "peer", "dhcp", "firewall", "reload", ...
  std::string subject;    // what changed: an instance, a tunnel, a subnet; may be empty
  std::string message;    // one line for people: "(VRRP1) Entering MASTER STATE: ..."
  nlohmann::json data;    // the facts: {"from": "BACKUP", "to": "MASTER", ...}
};

// {"seq", "time" (RFC 3339 UTC with milliseconds), "kind", "subject", "message", "data"}
nlohmann::json to_json(const Event& e);

class EventBus {
 public:
  using Listener = std::function<void(const Event&)>;
  using SubscriptionId = std::uint64_t;
  using WallClock = std::function<std::chrono::system_clock::time_point()>;

  // Keeps the last `history` events. `wall` stamps them (tests pass their own).
  explicit EventBus(std::size_t history = 1000, WallClock wall = &std::chrono::system_clock::now);

  // Stamps and numbers the event and hands it to every listener in
  // subscription order. An event published by a listener is delivered after
  // the current one has reached every listener, so all listeners see one order.
  std::uint64_t publish(std::string kind, std::string subject, std::string message,
                        nlohmann::json data = nlohmann::json::object());

  SubscriptionId subscribe(Listener listener);
  // Safe from inside a listener (its own or another's subscription).
  void unsubscribe(SubscriptionId id);

  struct Backlog {
    std::vector<Event> events;  // after the asked-for seq, oldest first
    std::uint64_t missed = 0;   // events after it that the history no longer holds
  };
  Backlog since(std::uint64_t seq) const;
  std::uint64_t last_seq() const { return next_seq_ - 1; }
  std::size_t listeners() const { return listeners_.size(); }

 private:
  void deliver();

  std::size_t capacity_;
  WallClock wall_;
  std::deque<Event> history_;
  std::deque<Event> pending_;  // published while delivering
  bool delivering_ = false;
  std::map<SubscriptionId, Listener> listeners_;
  SubscriptionId next_id_ = 1;
  std::uint64_t next_seq_ = 1;
};

}  // namespace pairgate
