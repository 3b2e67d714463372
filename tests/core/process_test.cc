// ProcessRunner with real children. The loop runs until the child is done;
// nothing sleeps in the test itself.
#include "core/process.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

using namespace std::chrono_literals;

ProcessResult run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 5s) {
  boost::asio::io_context io;
  ProcessRunner runner(io);
  std::optional<ProcessResult> result;
  runner.run(std::move(argv), "test", timeout, [&](const ProcessResult& r) { result = r; });
  for (int i = 0; i < 500 && !result; ++i) io.run_for(10ms);
  EXPECT_TRUE(result.has_value());
  EXPECT_EQ(runner.running(), 0u);
  return result.value_or(ProcessResult{});
}

TEST(ProcessRunner, CapturesOutputAndExitCode) {
  auto r = run({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.output, "out\nerr\n");
  EXPECT_FALSE(r.timed_out);
}

TEST(ProcessRunner, PassesArgumentsUntouched) {
  auto r = run({"/bin/echo", "VRRP1", "BACKUP", "MASTER"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.output, "VRRP1 BACKUP MASTER\n");
}

TEST(ProcessRunner, KillsAChildThatOutlivesItsTimeout) {
  auto r = run({"/bin/sleep", "30"}, 100ms);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.signal, 9);
}

TEST(ProcessRunner, AMissingProgramIsAnErrorNotACrash) {
  auto r = run({"/nonexistent/notify"});
  EXPECT_TRUE(!r.error.empty() || r.exit_code == 127);
}

}  // namespace
}  // namespace pairgate
