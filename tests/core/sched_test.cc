// core/sched: what runs beside a real-time loop runs at the normal policy.
// Needs permission to set SCHED_RR (root, as CI runs); skipped otherwise.
#include "core/sched.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <optional>
#include <thread>

#include "core/process.h"

namespace pairgate {
namespace {

using namespace std::chrono_literals;

// The test's thread at SCHED_RR 1 for the scope's life.
class Realtime {
 public:
  Realtime() {
    sched_param p{};
    p.sched_priority = 1;
    ok_ = pthread_setschedparam(pthread_self(), SCHED_RR, &p) == 0;
  }
  ~Realtime() {
    sched_param p{};
    pthread_setschedparam(pthread_self(), SCHED_OTHER, &p);
  }
  bool ok() const { return ok_; }

 private:
  bool ok_ = false;
};

TEST(Sched, ANormalThreadStaysAsItIs) {
  leave_realtime();
  EXPECT_FALSE(this_thread_is_realtime());
  EXPECT_EQ(scheduling_of_this_thread(), "SCHED_OTHER");
}

TEST(Sched, AHelperThreadOfARealtimeLoopLeavesItsPolicy) {
  Realtime rt;
  if (!rt.ok()) GTEST_SKIP() << "cannot set SCHED_RR here";
  EXPECT_EQ(scheduling_of_this_thread(), "SCHED_RR priority 1");
  std::string inherited;
  std::string after;
  std::thread([&] {
    inherited = scheduling_of_this_thread();
    leave_realtime();
    after = scheduling_of_this_thread();
  }).join();
  EXPECT_EQ(inherited, "SCHED_RR priority 1") << "threads inherit the policy";
  EXPECT_EQ(after, "SCHED_OTHER");
  EXPECT_TRUE(this_thread_is_realtime()) << "only the helper left it";
}

TEST(Sched, AProgramRunFromARealtimeLoopRunsAtTheNormalPolicy) {
  Realtime rt;
  if (!rt.ok()) GTEST_SKIP() << "cannot set SCHED_RR here";
  boost::asio::io_context io;
  ProcessRunner runner(io);
  std::optional<ProcessResult> result;
  runner.run({"/bin/sh", "-c", "chrt -p $$"}, "test", 5s, [&](const ProcessResult& r) { result = r; });
  for (int i = 0; i < 500 && !result; ++i) io.run_for(10ms);
  ASSERT_TRUE(result.has_value());
  EXPECT_NE(result->output.find("SCHED_OTHER"), std::string::npos) << result->output;
}

}  // namespace
}  // namespace pairgate
