#include "core/clock.h"

#include <boost/asio/steady_timer.hpp>

#include <ctime>

namespace pairgate {

namespace {

class SteadyTimer final : public Timer {
 public:
  explicit SteadyTimer(boost::asio::io_context& io) : timer_(io) {}
  ~SteadyTimer() override { cancel(); }

  void arm(SteadyTime at, std::function<void()> fire) override {
    // A handler that was already queued when we re-armed still arrives
    // with success: the generation tells it apart.
    const auto generation = ++*generation_;
    timer_.expires_at(at);
    timer_.async_wait([g = generation_, generation, fire = std::move(fire)](boost::system::error_code ec) {
      if (ec || *g != generation) return;
      fire();
    });
  }

  void cancel() override {
    ++*generation_;
    timer_.cancel();
  }

 private:
  boost::asio::steady_timer timer_;
  std::shared_ptr<std::uint64_t> generation_ = std::make_shared<std::uint64_t>(0);
};

class SteadyClock final : public LoopClock {
 public:
  explicit SteadyClock(boost::asio::io_context& io) : io_(io) {}
  SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  std::unique_ptr<Timer> make_timer() override { return std::make_unique<SteadyTimer>(io_); }

 private:
  boost::asio::io_context& io_;
};

}  // namespace

std::unique_ptr<LoopClock> make_steady_clock(boost::asio::io_context& io) { return std::make_unique<SteadyClock>(io); }

std::string utc_text(std::chrono::system_clock::time_point t) {
  const std::time_t s = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  ::gmtime_r(&s, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace pairgate
