// A LoopClock that moves only when the test says so. advance() fires every
// timer whose time has come, in time order (timers armed by a firing timer
// included), synchronously on the caller's stack.
#pragma once

#include <map>
#include <memory>
#include <tuple>

#include "core/clock.h"

namespace pairgate::testing {

class ManualClock final : public LoopClock {
 public:
  SteadyTime now() const override { return now_; }

  std::unique_ptr<Timer> make_timer() override { return std::make_unique<ManualTimer>(state_); }

  void advance(std::chrono::steady_clock::duration d) {
    const SteadyTime target = now_ + d;
    for (;;) {
      auto it = state_->armed.begin();
      if (it == state_->armed.end() || std::get<0>(it->first) > target) break;
      now_ = std::max(now_, std::get<0>(it->first));
      auto fire = std::move(it->second);
      state_->armed.erase(it);
      fire();
    }
    now_ = target;
  }

  std::size_t armed() const { return state_->armed.size(); }

 private:
  // (time, sequence, timer id) -> what to run; the sequence keeps arming order among equal times.
  struct State {
    std::map<std::tuple<SteadyTime, std::uint64_t, std::uint64_t>, std::function<void()>> armed;
    std::uint64_t sequence = 0;
    std::uint64_t ids = 0;
  };

  class ManualTimer final : public Timer {
   public:
    explicit ManualTimer(std::shared_ptr<State> s) : state_(std::move(s)), id_(++state_->ids) {}
    ~ManualTimer() override { cancel(); }
    void arm(SteadyTime at, std::function<void()> fire) override {
      cancel();
      state_->armed.emplace(std::tuple{at, ++state_->sequence, id_}, std::move(fire));
    }
    void cancel() override {
      std::erase_if(state_->armed, [this](const auto& e) { return std::get<2>(e.first) == id_; });
    }

   private:
    std::shared_ptr<State> state_;
    std::uint64_t id_;
  };

  SteadyTime now_{std::chrono::hours(1)};
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace pairgate::testing
