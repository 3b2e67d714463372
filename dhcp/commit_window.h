// When the lease journal's open batch goes to the disk: group commit by a
// short time window. The first record of an empty batch opens the window;
// the batch is due when the window has passed or it holds max_records,
// whichever comes first. A window of zero makes every batch due at once
// (one batch per turn of the event loop). No I/O and no clock of its own:
// the journal passes the time in (tests pass a manual clock).
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace pairgate::dhcp {

class CommitWindow {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    Clock::duration window{};
    std::size_t max_records = 256;
  };

  explicit CommitWindow(Limits limits) : limits_(limits) {}

  // A record joined the open batch at `now`.
  void added(Clock::time_point now) {
    if (records_++ == 0) opened_ = now;
  }
  // The open batch went to the disk (or was replaced by a snapshot).
  void submitted() { records_ = 0; }

  std::size_t records() const { return records_; }
  bool full() const { return records_ >= limits_.max_records; }
  // When the open batch is due; none when it is empty.
  std::optional<Clock::time_point> due() const {
    if (records_ == 0) return std::nullopt;
    return full() ? opened_ : opened_ + limits_.window;
  }
  bool ready(Clock::time_point now) const {
    auto d = due();
    return d && *d <= now;
  }
  const Limits& limits() const { return limits_; }

 private:
  Limits limits_;
  std::size_t records_ = 0;
  Clock::time_point opened_{};
};

}  // namespace pairgate::dhcp
