// ProcessRunner with real children. The loop runs until the child is done;
// nothing sleeps in the test itself.
#include "core/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

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

// A process that is gone, or a zombie nobody but init will reap.
bool gone(pid_t pid) {
  if (::kill(pid, 0) != 0) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field, comm, state;
  stat >> pid_field >> comm >> state;
  return state == "Z" || state.empty();
}

// A scratch file for a child to write its helpers' pids into.
struct PidFile {
  PidFile() {
    char name[] = "/tmp/pairgate-process-test.XXXXXX";
    int fd = ::mkstemp(name);
    ::close(fd);
    path = name;
  }
  ~PidFile() {
    if (auto p = read()) ::kill(*p, SIGKILL);
    std::filesystem::remove(path);
  }
  std::optional<pid_t> read() const {
    std::ifstream in(path);
    pid_t p = 0;
    if (in >> p && p > 0) return p;
    return std::nullopt;
  }
  std::string path;
};

// The result comes when the program exits, even if something it started
// (here in a session of its own, out of reach of the group kill) keeps its
// output open.
TEST(ProcessRunner, TheResultComesWhenTheProgramExitsNotWhenItsOutputCloses) {
  PidFile helper;
  boost::asio::io_context io;
  ProcessRunner runner(io);
  std::optional<ProcessResult> result;
  runner.run({"/bin/sh", "-c", "echo started; setsid sleep 30 & echo $! >" + helper.path + "; exit 4"}, "test", 10s,
             [&](const ProcessResult& r) { result = r; });
  for (int i = 0; i < 300 && !result; ++i) io.run_for(10ms);
  ASSERT_TRUE(result.has_value()) << "no result within 3 s while a helper holds the output open";
  EXPECT_EQ(result->exit_code, 4);
  EXPECT_EQ(result->output, "started\n");
  EXPECT_EQ(runner.running(), 0u);
}

TEST(ProcessRunner, KillAllEndsRunningProgramsWithTheirProcessGroups) {
  // The program's own helper becomes this process's child when the program
  // dies (a subreaper), so the test can wait for it instead of polling.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  PidFile helper;
  boost::asio::io_context io;
  ProcessRunner runner(io);
  std::optional<ProcessResult> result;
  runner.run({"/bin/sh", "-c", "sleep 30 & echo $! >" + helper.path + "; wait"}, "test", 60s,
             [&](const ProcessResult& r) { result = r; });
  for (int i = 0; i < 300 && !helper.read(); ++i) io.run_for(10ms);
  const auto grandchild = helper.read();
  ASSERT_TRUE(grandchild.has_value());
  EXPECT_EQ(runner.running(), 1u);
  runner.kill_all();
  for (int i = 0; i < 300 && !result; ++i) io.run_for(10ms);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->killed);
  EXPECT_EQ(result->signal, SIGKILL);
  // The program is reaped, so its helper is ours now: wait for it (polling
  // with io.run_for, which returns at once when the loop has no work, failed
  // 1 run in 4 on a loaded machine). Only SIGKILL to the group ends it.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(*grandchild), &info, WEXITED), 0) << std::strerror(errno);
  EXPECT_EQ(info.si_code, CLD_KILLED);
  EXPECT_EQ(info.si_status, SIGKILL) << "the program's own helper went with it";
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(ProcessRunner, ItsDestructorLeavesNoProgramBehind) {
  PidFile child;
  bool called = false;
  {
    boost::asio::io_context io;
    ProcessRunner runner(io);
    runner.run({"/bin/sh", "-c", "echo $$ >" + child.path + "; exec sleep 30"}, "test", 60s,
               [&](const ProcessResult&) { called = true; });
    for (int i = 0; i < 300 && !child.read(); ++i) io.run_for(10ms);
    ASSERT_TRUE(child.read().has_value());
  }
  EXPECT_TRUE(gone(*child.read()));
  EXPECT_FALSE(called) << "no callback from a runner that is gone";
}

}  // namespace
}  // namespace pairgate
