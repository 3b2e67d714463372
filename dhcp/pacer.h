// When to read port 67 again after a drain (issue 11). No I/O and no clock
// here: the transport passes `now`.
//
// Each wakeup of the loop is a context switch, most of the server's CPU
// time at a few thousand DORA/s; waiting `pace` between drains under load
// makes it one wakeup per pace instead of one per message, at the price of
// up to `pace` of added delay per message. Under light load that price buys
// nothing, so the pacer waits for the socket (and the next datagram is
// answered at once) unless the load is high:
//   - the drain found at least `busy_drain` datagrams (they queued up while
//     the loop was busy or paced: the next drain will find more), or
//   - the arrival rate over the last complete `window` was at least
//     `busy_rate` datagrams a second.
// A drain that found nothing always goes back to waiting for the socket.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace pairgate::dhcp {

class ReceivePacer {
 public:
  using Clock = std::chrono::steady_clock;
  struct Limits {
    std::chrono::microseconds pace{0};  // zero: never paced
    std::size_t busy_drain = 2;
    std::uint32_t busy_rate = 0;  // datagrams/s; zero: the rate alone never paces
    std::chrono::milliseconds window{10};
  };

  ReceivePacer() = default;
  explicit ReceivePacer(Limits limits) : limits_(limits) {}

  // After a drain at `now` that handed `received` datagrams to the engine:
  // the delay until the next drain, or zero to wait for the socket.
  std::chrono::microseconds after_drain(Clock::time_point now, std::size_t received);

  // Datagrams a second over the last complete window (0 before the first).
  std::uint32_t rate() const { return rate_; }
  const Limits& limits() const { return limits_; }

 private:
  Limits limits_;
  bool started_ = false;
  Clock::time_point window_start_{};
  std::uint64_t window_count_ = 0;
  std::uint32_t rate_ = 0;
};

}  // namespace pairgate::dhcp
