// tunnel/timers: AsioTimers keeps Timer's contract even when the loop has
// already queued an expiry: a timer cancelled, re-armed or destroyed after
// that never runs the old handler. Every timer here is set in the past, so
// io_context::run returns at once; nothing waits on the clock.
#include "tunnel/timers.h"

#include <gtest/gtest.h>

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;

// Both expiries are taken from the timer queue in one pass, so b's handler
// is already queued when a's destroys b. (This is how a Tunnel destroyed by
// its service's stop met its own health timer: the SIGSEGV on SIGTERM.)
TEST(AsioTimers, ATimerDestroyedAfterItsExpiryWasQueuedDoesNotFire) {
  boost::asio::io_context io;
  AsioTimers timers(io);
  auto a = timers.timer();
  auto b = timers.timer();
  bool b_fired = false;
  const auto past = timers.now() - 1s;
  a->at(past - 1ms, [&] { b.reset(); });
  b->at(past, [&] { b_fired = true; });
  io.run();
  EXPECT_FALSE(b_fired);
}

TEST(AsioTimers, ATimerCancelledOrReArmedAfterItsExpiryWasQueuedRunsOnlyTheNewHandler) {
  boost::asio::io_context io;
  AsioTimers timers(io);
  auto a = timers.timer();
  auto b = timers.timer();
  auto c = timers.timer();
  std::vector<std::string> fired;
  const auto past = timers.now() - 1s;
  a->at(past - 1ms, [&] {
    b->cancel();
    c->at(past, [&] { fired.push_back("c new"); });
  });
  b->at(past, [&] { fired.push_back("b"); });
  c->at(past, [&] { fired.push_back("c old"); });
  io.run();
  EXPECT_EQ(fired, std::vector<std::string>{"c new"});
}

TEST(AsioTimers, FiresOnce) {
  boost::asio::io_context io;
  AsioTimers timers(io);
  auto t = timers.timer();
  int fired = 0;
  t->at(timers.now() - 1ms, [&] { ++fired; });
  io.run();
  EXPECT_EQ(fired, 1);
}

}  // namespace
}  // namespace pairgate::tunnel
