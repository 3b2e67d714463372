// When type ipip's update URL is called (conf::Ipip::update_url): pure, time
// is an input. A call is wanted when the tunnel comes up and whenever its
// local IPv6 address changes; a failed call is retried after 5 s, doubling
// up to 5 min, for as long as nothing newer is wanted (then at once); one
// call at a time, and a want during a call is served right after it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace pairgate::tunnel {

class UpdateSchedule {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::steady_clock::duration;
  static constexpr Duration kFirstRetry = std::chrono::seconds(5);
  static constexpr Duration kMaxRetry = std::chrono::minutes(5);

  // Each returns true when a call is to start now (the caller starts it and
  // reports its end to on_result()).
  // Something the provider must hear of (the address now in use).
  [[nodiscard]] bool want(Time now);
  // The call in flight ended.
  [[nodiscard]] bool on_result(Time now, bool ok);
  // The retry timer (deadline()) fired.
  [[nodiscard]] bool on_timer(Time now);
  // Nothing more to tell (the tunnel stops): no retry; a call in flight
  // still ends through on_result(), which then starts nothing.
  void cancel();

  // When on_timer() is due: set while a retry waits.
  std::optional<Time> deadline() const { return retry_at_; }
  bool in_flight() const { return in_flight_; }
  // The wait after the next failure.
  Duration backoff() const { return backoff_; }

  std::uint64_t attempts() const { return attempts_; }
  std::uint64_t successes() const { return successes_; }
  std::uint64_t failures() const { return failures_; }

 private:
  bool start();

  bool in_flight_ = false;
  bool pending_ = false;  // wanted while a call was in flight
  bool active_ = false;   // wanted and not cancelled since
  std::optional<Time> retry_at_;
  Duration backoff_ = kFirstRetry;
  std::uint64_t attempts_ = 0;
  std::uint64_t successes_ = 0;
  std::uint64_t failures_ = 0;
};

}  // namespace pairgate::tunnel
