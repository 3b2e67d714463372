#include "tunnel/update_schedule.h"

#include <algorithm>

namespace pairgate::tunnel {

bool UpdateSchedule::start() {
  retry_at_.reset();
  pending_ = false;
  in_flight_ = true;
  ++attempts_;
  return true;
}

bool UpdateSchedule::want(Time) {
  active_ = true;
  backoff_ = kFirstRetry;  // news: the next failure waits the least again
  if (in_flight_) {
    pending_ = true;
    return false;
  }
  return start();
}

bool UpdateSchedule::on_result(Time now, bool ok) {
  if (!in_flight_) return false;
  in_flight_ = false;
  if (ok) {
    ++successes_;
    backoff_ = kFirstRetry;
  } else {
    ++failures_;
  }
  // What was wanted meanwhile is newer than what this call said.
  if (pending_) return start();
  if (!ok && active_) {
    retry_at_ = now + backoff_;
    backoff_ = std::min<Duration>(backoff_ * 2, kMaxRetry);
  }
  return false;
}

bool UpdateSchedule::on_timer(Time now) {
  if (in_flight_ || !retry_at_ || now < *retry_at_) return false;
  return start();
}

void UpdateSchedule::cancel() {
  retry_at_.reset();
  pending_ = false;
  active_ = false;
}

}  // namespace pairgate::tunnel
