// The event loop's time, behind an interface so that code which arms
// deadlines on the loop (sessions, retries) can be tested with a manual clock
// instead of waiting. Engines take time as a plain argument and need none of
// this; this is for the adapters around them.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace pairgate {

using SteadyTime = std::chrono::steady_clock::time_point;

// A one-shot timer. fire() runs on the loop, at most once per arm(); arming
// again or cancelling means the earlier fire() never runs, even if its time
// had already come. Destroying the timer cancels it.
class Timer {
 public:
  virtual ~Timer() = default;
  virtual void arm(SteadyTime at, std::function<void()> fire) = 0;
  virtual void cancel() = 0;
};

class LoopClock {
 public:
  virtual ~LoopClock() = default;
  virtual SteadyTime now() const = 0;
  virtual std::unique_ptr<Timer> make_timer() = 0;

  // Convenience: arm `t` to fire `d` from now.
  void arm_after(Timer& t, std::chrono::steady_clock::duration d, std::function<void()> fire) {
    t.arm(now() + d, std::move(fire));
  }
};

// std::chrono::steady_clock, with boost::asio::steady_timer on `io`.
std::unique_ptr<LoopClock> make_steady_clock(boost::asio::io_context& io);

// A wall-clock time as status shows it: RFC 3339 UTC to the second,
// "2026-11-30T03:32:43Z".
std::string utc_text(std::chrono::system_clock::time_point t);

}  // namespace pairgate
