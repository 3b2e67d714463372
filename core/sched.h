// Scheduling: the event loop may run at a real-time policy (the systemd
// unit's CPUSchedulingPolicy=rr, as keepalived's vrrp_rt_priority), so that
// adverts every 100 ms keep their timing on a busy machine. Everything that
// is not the loop -- helper threads, notify programs -- runs at the normal
// policy, so a slow parse or a runaway program cannot starve the host.
#pragma once

#include <string>

namespace pairgate {

// The calling thread's policy and priority, e.g. "SCHED_RR priority 5" or
// "SCHED_OTHER".
std::string scheduling_of_this_thread();

// True when the calling thread runs at SCHED_FIFO or SCHED_RR.
bool this_thread_is_realtime();

// Puts the calling thread back to SCHED_OTHER (nice 0) if it is real-time;
// does nothing otherwise. Never fails loudly: a thread that cannot leave
// stays as it was.
void leave_realtime() noexcept;

}  // namespace pairgate
