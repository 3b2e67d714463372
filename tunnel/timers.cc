#include "tunnel/timers.h"

#include <boost/asio/steady_timer.hpp>

namespace pairgate::tunnel {

namespace {

// cancel() cannot stop a wait whose expiry the loop has already queued: its
// handler then runs with success, after the cancel — and after the owner of
// `fn` may be gone (a tunnel stopped and destroyed between the two: the
// SIGSEGV on SIGTERM). So every arming has a number, kept in a block the
// handler shares; arming again, cancelling and destroying change it, and a
// handler whose number is no longer current does nothing.
class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}
  ~AsioTimer() override { cancel(); }

  void at(TimePoint when, std::function<void()> fn) override {
    const std::uint64_t armed = ++*current_;
    timer_.expires_at(when);  // cancels a pending wait: its handler sees operation_aborted
    timer_.async_wait([fn = std::move(fn), current = current_, armed](boost::system::error_code ec) {
      if (!ec && *current == armed) fn();
    });
  }
  void cancel() override {
    ++*current_;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  std::shared_ptr<std::uint64_t> current_ = std::make_shared<std::uint64_t>(0);
};

}  // namespace

std::unique_ptr<Timer> AsioTimers::timer() { return std::make_unique<AsioTimer>(io_); }

}  // namespace pairgate::tunnel
