// The clock and the one-shot timers a tunnel runs on: the event loop's
// steady clock in the daemon (AsioTimers), a hand-driven one in tests
// (tests/support/manual_timers.h), so that no test waits on the wall clock.
#pragma once

#include <boost/asio/io_context.hpp>

#include <functional>
#include <memory>

#include "tunnel/aftr.h"

namespace pairgate::tunnel {

class Timer {
 public:
  virtual ~Timer() = default;
  // Runs `fn` on the loop at `when` (at once if that has passed). Arming
  // again replaces what was pending; destroying the timer cancels it.
  virtual void at(TimePoint when, std::function<void()> fn) = 0;
  virtual void cancel() = 0;
};

class TimerSource {
 public:
  virtual ~TimerSource() = default;
  virtual TimePoint now() const = 0;
  virtual std::unique_ptr<Timer> timer() = 0;
  void after(Timer& t, Duration d, std::function<void()> fn) { t.at(now() + d, std::move(fn)); }
};

// steady_clock and boost::asio::steady_timer on `io`.
class AsioTimers final : public TimerSource {
 public:
  explicit AsioTimers(boost::asio::io_context& io) : io_(io) {}
  TimePoint now() const override { return Clock::now(); }
  std::unique_ptr<Timer> timer() override;

 private:
  boost::asio::io_context& io_;
};

}  // namespace pairgate::tunnel
