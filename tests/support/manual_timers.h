// A hand-driven tunnel::TimerSource: time stands still until advance(),
// which runs every timer that falls due, in order of its deadline (ties in
// the order they were armed), with now() at that deadline.
#pragma once

#include <map>
#include <set>
#include <utility>

#include "tunnel/timers.h"

namespace pairgate::testing {

class ManualTimers final : public tunnel::TimerSource {
 public:
  tunnel::TimePoint now() const override { return now_; }

  std::unique_ptr<tunnel::Timer> timer() override { return std::make_unique<ManualTimer>(*this); }

  void advance(tunnel::Duration d) { advance_to(now_ + d); }
  void advance_to(tunnel::TimePoint until) {
    while (!pending_.empty() && pending_.begin()->first.first <= until) {
      auto it = pending_.begin();
      ManualTimer* t = it->second;
      now_ = std::max(now_, it->first.first);
      pending_.erase(it);
      auto fn = std::move(t->fn_);
      t->armed_ = false;
      fn();
    }
    now_ = std::max(now_, until);
  }
  std::size_t pending() const { return pending_.size(); }

 private:
  using Key = std::pair<tunnel::TimePoint, std::uint64_t>;

  class ManualTimer final : public tunnel::Timer {
   public:
    explicit ManualTimer(ManualTimers& owner) : owner_(owner) {}
    ~ManualTimer() override { cancel(); }
    void at(tunnel::TimePoint when, std::function<void()> fn) override {
      cancel();
      fn_ = std::move(fn);
      key_ = {when, owner_.sequence_++};
      owner_.pending_.emplace(key_, this);
      armed_ = true;
    }
    void cancel() override {
      if (armed_) owner_.pending_.erase(key_);
      armed_ = false;
      fn_ = nullptr;
    }

   private:
    friend class ManualTimers;
    ManualTimers& owner_;
    std::function<void()> fn_;
    Key key_{};
    bool armed_ = false;
  };

  tunnel::TimePoint now_{std::chrono::hours(1)};
  std::uint64_t sequence_ = 0;
  std::map<Key, ManualTimer*> pending_;
};

}  // namespace pairgate::testing
