#include "tunnel/timers.h"

#include <boost/asio/steady_timer.hpp>

namespace pairgate::tunnel {

namespace {

class AsioTimer final : public Timer {
 public:
  explicit AsioTimer(boost::asio::io_context& io) : timer_(io) {}
  ~AsioTimer() override { timer_.cancel(); }

  void at(TimePoint when, std::function<void()> fn) override {
    timer_.expires_at(when);  // cancels a pending wait: its handler sees operation_aborted
    timer_.async_wait([fn = std::move(fn)](boost::system::error_code ec) {
      if (!ec) fn();
    });
  }
  void cancel() override { timer_.cancel(); }

 private:
  boost::asio::steady_timer timer_;
};

}  // namespace

std::unique_ptr<Timer> AsioTimers::timer() { return std::make_unique<AsioTimer>(io_); }

}  // namespace pairgate::tunnel
