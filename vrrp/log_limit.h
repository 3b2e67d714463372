// At most one log line per period for one kind of event, saying how many
// were held back since the last line. Time is an input; no I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace pairgate::vrrp {

class LogLimit {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimit(Clock::duration period = std::chrono::minutes(1)) : period_(period) {}

  // An event at `now`: nullopt means stay quiet (it is counted); a value
  // means log it now and mention that many events held back since the
  // previous line.
  std::optional<std::uint64_t> admit(Clock::time_point now) {
    if (logged_ && now - *logged_ < period_) {
      ++held_;
      return std::nullopt;
    }
    logged_ = now;
    const std::uint64_t held = held_;
    held_ = 0;
    return held;
  }

 private:
  Clock::duration period_;
  std::optional<Clock::time_point> logged_;
  std::uint64_t held_ = 0;
};

}  // namespace pairgate::vrrp
