// Rations RFC 9568 §6.4.3's repair: a master that hears a lower priority
// (or priority 0) answers at once. Anyone on the LAN can forge such
// adverts, and unrationed every one of them is answered with a multicast
// advert (a 1:1 amplifier). Time is an input; no I/O.
//
// Rules, checked in this order for each advert that would be answered:
//  - each sender is answered at most once per advert interval; the last
//    kSenders senders are remembered (least recently heard forgotten first);
//  - in all, at most kPerInterval answers per interval, so forged adverts
//    from ever new source addresses buy no more than that.
// A suppressed answer loses nothing that matters: the master's regular
// advert follows within one interval anyway.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "core/address.h"

namespace pairgate::vrrp {

class RepairLimit {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kSenders = 64;
  static constexpr unsigned kPerInterval = 4;

  // An advert from `sender` at `now` that the repair would answer; true
  // means answer it (and it is recorded as answered).
  bool admit(Clock::time_point now, const IpAddress& sender, Clock::duration interval);

  std::size_t senders() const { return senders_.size(); }

 private:
  struct Sender {
    IpAddress address;
    Clock::time_point heard;     // for the LRU order
    Clock::time_point answered;  // valid when was_answered
    bool was_answered = false;
  };
  std::vector<Sender> senders_;  // at most kSenders
  Clock::time_point window_{};   // start of the current interval of answers
  unsigned in_window_ = 0;
};

}  // namespace pairgate::vrrp
