#include "dhcp/pacer.h"

#include <algorithm>
#include <limits>

namespace pairgate::dhcp {

std::chrono::microseconds ReceivePacer::after_drain(Clock::time_point now, std::size_t received) {
  if (!started_) {
    started_ = true;
    window_start_ = now;
  }
  window_count_ += received;
  const auto elapsed = std::chrono::duration_cast<std::chrono::microseconds>(now - window_start_);
  if (elapsed >= limits_.window && elapsed.count() > 0) {
    // A quiet gap longer than the window counts whole: the rate falls with it.
    const auto per_second = window_count_ * 1'000'000u / static_cast<std::uint64_t>(elapsed.count());
    rate_ = static_cast<std::uint32_t>(std::min<std::uint64_t>(per_second, std::numeric_limits<std::uint32_t>::max()));
    window_start_ = now;
    window_count_ = 0;
  }
  if (limits_.pace.count() <= 0 || received == 0) return std::chrono::microseconds{0};
  const bool busy = received >= limits_.busy_drain || (limits_.busy_rate > 0 && rate_ >= limits_.busy_rate);
  return busy ? limits_.pace : std::chrono::microseconds{0};
}

}  // namespace pairgate::dhcp
