// Addresses held in memory only, on the steady clock: offers (between OFFER
// and REQUEST, and while a conflict probe runs) and quarantines (DECLINE, a
// probe that found the address in use). Nothing here is persisted, so
// nothing here needs the wall clock: a step of it (NTP, `date`) neither
// ends a hold at once nor makes it eternal. (Lease expiry is wall-clock: it
// is persisted and outlives a restart; see dhcp/lease_store.h.) No I/O.
//
// At most one hold per address and one offer per client; both bounded by
// the pools' size.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/address.h"
#include "dhcp/lease.h"

namespace pairgate::dhcp {

class Holds {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Kind : std::uint8_t { offer, quarantine };
  struct Hold {
    Kind kind = Kind::offer;
    ClientKey client;  // the offer's client; empty for a quarantine
    Clock::time_point since;
    Clock::time_point until;
  };

  // The hold on `a` that still runs at `now`; nullptr when none. Valid until
  // the next change.
  const Hold* find(Ipv4Address a, Clock::time_point now) const;
  bool offered_to(Ipv4Address a, const ClientKey& client, Clock::time_point now) const;
  bool quarantined(Ipv4Address a, Clock::time_point now) const;
  // The address offered to `client`, while the offer runs.
  std::optional<Ipv4Address> offer_of(const ClientKey& client, Clock::time_point now) const;

  // Holds `a` for `client` until now + d; replaces any hold on `a` and ends
  // the client's offer of another address.
  void offer(Ipv4Address a, const ClientKey& client, Clock::time_point now, Clock::duration d);
  // Keeps `a` from everyone until now + d; replaces any hold on `a`.
  void quarantine(Ipv4Address a, Clock::time_point now, Clock::duration d);
  // Ends whatever hold `a` has.
  void release(Ipv4Address a);
  // Ends the client's offer, if it has one.
  void end_offer_of(const ClientKey& client);
  // Forgets every hold that has run out at `now`.
  void expire(Clock::time_point now);

  std::size_t size() const { return by_address_.size(); }
  // Each hold still running at `now`.
  void for_each(Clock::time_point now, const std::function<void(Ipv4Address, const Hold&)>& f) const;

 private:
  std::unordered_map<std::uint32_t, Hold> by_address_;
  std::unordered_map<std::string, std::uint32_t> offer_by_client_;  // ClientKey bytes -> address
};

}  // namespace pairgate::dhcp
