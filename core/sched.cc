#include "core/sched.h"

#include <pthread.h>
#include <sched.h>

namespace pairgate {

namespace {

bool realtime(int policy) { return policy == SCHED_FIFO || policy == SCHED_RR; }

}  // namespace

std::string scheduling_of_this_thread() {
  int policy = 0;
  sched_param p{};
  if (pthread_getschedparam(pthread_self(), &policy, &p) != 0) return "unknown";
  switch (policy) {
    case SCHED_FIFO: return "SCHED_FIFO priority " + std::to_string(p.sched_priority);
    case SCHED_RR: return "SCHED_RR priority " + std::to_string(p.sched_priority);
    case SCHED_BATCH: return "SCHED_BATCH";
    case SCHED_IDLE: return "SCHED_IDLE";
    default: return "SCHED_OTHER";
  }
}

bool this_thread_is_realtime() {
  int policy = 0;
  sched_param p{};
  return pthread_getschedparam(pthread_self(), &policy, &p) == 0 && realtime(policy);
}

void leave_realtime() noexcept {
  if (!this_thread_is_realtime()) return;
  sched_param p{};
  p.sched_priority = 0;
  pthread_setschedparam(pthread_self(), SCHED_OTHER, &p);
}

}  // namespace pairgate
