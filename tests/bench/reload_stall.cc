// How long a reload holds up the event loop (scripts/bench/config-scale).
//
//   reload_stall FILE_A FILE_B [ROUNDS]
//
// Runs the daemon with its standard modules on FILE_A (run it in a network
// namespace of its own: the modules do what they are configured to do), with
// a timer on the loop that asks to fire every 1 ms and records how late it
// fires. Then, ROUNDS times (default 5), it makes the daemon reload, FILE_B
// and FILE_A in turn (so every reload applies a change), and reports for
// each: the reload's duration and the loop's longest stall meanwhile. The
// same for an idle stretch of loop, and for conf::load run on the loop, as
// reloads did before they moved to a thread. Exits 1 if the daemon cannot
// start or a reload is refused.
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <string>

#include "app/daemon.h"
#include "conf/parser.h"

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace asio = boost::asio;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Fires every millisecond and keeps the worst lateness since reset().
class Ticker {
 public:
  explicit Ticker(asio::io_context& io) : timer_(io) { arm(); }
  void reset() { worst_ = {}; }
  Clock::duration worst() const { return worst_; }
  std::uint64_t ticks() const { return ticks_; }
  void stop() {
    stopped_ = true;
    timer_.cancel();
  }

 private:
  void arm() {
    due_ = Clock::now() + 1ms;
    timer_.expires_at(due_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec || stopped_) return;
      worst_ = std::max(worst_, Clock::now() - due_);
      ++ticks_;
      arm();
    });
  }
  asio::steady_timer timer_;
  Clock::time_point due_;
  Clock::duration worst_{};
  std::uint64_t ticks_ = 0;
  bool stopped_ = false;
};

// Runs the loop until `done` is true, then until the ticker has fired once
// more: a handler posted during a long one may run before the late timer,
// whose lateness must still count.
void run_until(asio::io_context& io, const bool& done, const Ticker& ticker) {
  while (!done) io.run_one();
  const auto ticks = ticker.ticks();
  while (ticker.ticks() == ticks) io.run_one();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: reload_stall FILE_A FILE_B [ROUNDS]\n";
    return 2;
  }
  const std::string a = argv[1];
  const std::string b = argv[2];
  const int rounds = argc > 3 ? std::stoi(argv[3]) : 5;
  const std::string live = (std::filesystem::path(a).parent_path() / "reload_stall.yaml").string();
  std::filesystem::copy_file(a, live, std::filesystem::copy_options::overwrite_existing);

  auto first = pairgate::conf::load(live);
  if (!first.config) {
    std::cerr << first.report() << first.summary(live) << "\n";
    return 1;
  }
  asio::io_context io(1);
  pairgate::Daemon::Options options;
  options.config_path = live;
  pairgate::Daemon daemon(io, options, std::move(*first.config));
  try {
    daemon.start();
  } catch (const std::exception& e) {
    std::cerr << "cannot start: " << e.what() << "\n";
    return 1;
  }
  Ticker ticker(io);

  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const auto size = std::filesystem::file_size(a);
  std::printf("file: %s, %ju bytes; the loop's timer asks for every 1 ms\n", a.c_str(), static_cast<std::uintmax_t>(size));

  // Idle: as long as a reload takes, nothing else happening.
  {
    bool done = false;
    asio::steady_timer idle(io, 500ms);
    idle.async_wait([&](boost::system::error_code) { done = true; });
    ticker.reset();
    run_until(io, done, ticker);
    std::printf("idle loop, 500 ms:                  longest stall %7.2f ms\n", ms(ticker.worst()));
  }

  Clock::duration worst_stall{};
  for (int i = 0; i < rounds; ++i) {
    std::filesystem::copy_file(i % 2 == 0 ? b : a, live, std::filesystem::copy_options::overwrite_existing);
    bool done = false;
    pairgate::Daemon::ReloadResult result;
    ticker.reset();
    const auto start = Clock::now();
    daemon.reload([&](pairgate::Daemon::ReloadResult r) {
      result = std::move(r);
      done = true;
    });
    run_until(io, done, ticker);
    const auto took = Clock::now() - start;
    if (!result.ok) {
      std::cerr << "reload refused: " << (result.errors.empty() ? "" : pairgate::conf::headline(result.errors[0]))
                << "\n";
      return 1;
    }
    worst_stall = std::max(worst_stall, ticker.worst());
    std::printf("reload %d (%s): %8.1f ms in all;   longest stall %7.2f ms\n", i + 1, result.summary.c_str(), ms(took),
                ms(ticker.worst()));
  }

  // As before: the whole load on the loop.
  {
    bool done = false;
    ticker.reset();
    Clock::duration took{};
    asio::post(io, [&] {
      const auto start = Clock::now();
      auto r = pairgate::conf::load(live);
      took = Clock::now() - start;
      asio::post(io, [&] { done = true; });
    });
    run_until(io, done, ticker);
    std::printf("conf::load on the loop (as before): %8.1f ms;         longest stall %7.2f ms\n", ms(took),
                ms(ticker.worst()));
  }
  std::printf("longest stall over %d reloads: %.2f ms\n", rounds, ms(worst_stall));

  ticker.stop();
  daemon.stop();
  daemon.run();
  std::filesystem::remove(live);
  return 0;
}
