// core/clock: the steady clock's timers keep Timer's contract even when the
// loop has already queued an expiry: a timer cancelled, re-armed or
// destroyed after that never runs the old handler. (A tunnel::Tunnel with
// steady_timer members, destroyed by its service's stop, met its own
// health timer that way: the SIGSEGV on SIGTERM seen in the guest.) Every
// timer here is set in the past, so io_context::run returns at once;
// nothing waits on the clock.
#include "core/clock.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pairgate {
namespace {

using namespace std::chrono_literals;

// Both expiries are taken from the timer queue in one pass, so b's handler
// is already queued when a's destroys b.
TEST(SteadyClock, ATimerDestroyedAfterItsExpiryWasQueuedDoesNotFire) {
  boost::asio::io_context io;
  auto clock = make_steady_clock(io);
  auto a = clock->make_timer();
  auto b = clock->make_timer();
  bool b_fired = false;
  const auto past = clock->now() - 1s;
  a->arm(past - 1ms, [&] { b.reset(); });
  b->arm(past, [&] { b_fired = true; });
  io.run();
  EXPECT_FALSE(b_fired);
}

TEST(SteadyClock, ATimerCancelledOrReArmedAfterItsExpiryWasQueuedRunsOnlyTheNewHandler) {
  boost::asio::io_context io;
  auto clock = make_steady_clock(io);
  auto a = clock->make_timer();
  auto b = clock->make_timer();
  auto c = clock->make_timer();
  std::vector<std::string> fired;
  const auto past = clock->now() - 1s;
  a->arm(past - 1ms, [&] {
    b->cancel();
    c->arm(past, [&] { fired.push_back("c new"); });
  });
  b->arm(past, [&] { fired.push_back("b"); });
  c->arm(past, [&] { fired.push_back("c old"); });
  io.run();
  EXPECT_EQ(fired, std::vector<std::string>{"c new"});
}

TEST(SteadyClock, FiresOnce) {
  boost::asio::io_context io;
  auto clock = make_steady_clock(io);
  auto t = clock->make_timer();
  int fired = 0;
  t->arm(clock->now() - 1ms, [&] { ++fired; });
  io.run();
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace pairgate
