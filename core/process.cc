#include "core/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <utility>

#include "core/sched.h"

extern char** environ;

namespace pairgate {

namespace asio = boost::asio;

namespace {

// pidfd_open(2), Linux 5.3; -1 where the kernel lacks it (then the runner
// polls waitpid instead).
int open_pidfd(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

struct ProcessRunner::Child : std::enable_shared_from_this<Child> {
  Child(asio::io_context& io, std::string tag, Done done, std::shared_ptr<Children> children)
      : pipe(io), exit_watch(io), deadline(io), poll(io), tag(std::move(tag)), done(std::move(done)),
        children(std::move(children)) {}

  void start(pid_t p, int output) {
    pid = p;
    (*children)[pid] = weak_from_this();
    pipe.assign(output);
    read();
    if (int fd = open_pidfd(pid); fd >= 0) {
      exit_watch.assign(fd);
      exit_watch.async_wait(asio::posix::stream_descriptor::wait_read,
                            [self = shared_from_this()](boost::system::error_code ec) {
                              if (!ec) self->reap();
                            });
    } else {
      poll_exit();
    }
  }

  void read() {
    reading = true;
    pipe.async_read_some(asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      self->reading = false;
      if (n > 0) self->take(std::string_view(self->buf.data(), n));
      if (self->exited) return self->finish();
      if (!ec) self->read();
    });
  }

  void poll_exit() {
    poll.expires_after(std::chrono::milliseconds(20));
    poll.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->reap();
    });
  }

  void take(std::string_view data) {
    if (result.output.size() < 65536) result.output.append(data.substr(0, 65536 - result.output.size()));
    line.append(data);
    for (auto nl = line.find('\n'); nl != std::string::npos; nl = line.find('\n')) {
      spdlog::info("{}: {}", tag, line.substr(0, nl));
      line.erase(0, nl + 1);
    }
    if (line.size() > 4096) flush();
  }

  void flush() {
    if (!line.empty()) spdlog::info("{}: {}", tag, line);
    line.clear();
  }

  // What the program wrote before it exited is in the pipe: take it without
  // waiting for the pipe to close (a helper it started may hold it open).
  void drain_output() {
    if (!pipe.is_open()) return;
    boost::system::error_code ec;
    pipe.non_blocking(true, ec);
    for (std::size_t n = 0; !ec;) {
      n = pipe.read_some(asio::buffer(buf), ec);
      if (n > 0) take(std::string_view(buf.data(), n));
    }
    pipe.close(ec);
  }

  // The program may have exited: take its status. What it wrote is in the
  // pipe by now; the pending read is cancelled so that finish() runs after
  // it, in order, without waiting for the pipe to close (a helper it started
  // may hold it open).
  void reap() {
    if (exited) return;
    int status = 0;
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == 0) return poll_exit();
    exited = true;
    children->erase(pid);
    deadline.cancel();
    poll.cancel();
    boost::system::error_code ignored;
    exit_watch.close(ignored);
    if (r == pid) {
      if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    }
    if (reading) {
      pipe.cancel(ignored);
      return;
    }
    finish();
  }

  void finish() {
    drain_output();
    flush();
    if (result.killed) {
      // kill_all() said so already.
    } else if (result.timed_out) {
      spdlog::warn("{}: killed after its timeout", tag);
    } else if (result.exit_code != 0) {
      spdlog::warn("{}: {}", tag,
                   result.signal ? "ended by signal " + std::to_string(result.signal)
                                 : "exited with " + std::to_string(result.exit_code));
    }
    if (auto d = std::exchange(done, nullptr)) d(result);
  }

  // Its own process group (POSIX_SPAWN_SETPGROUP): helpers it started go too.
  void kill_group() {
    if (exited) return;
    ::kill(-pid, SIGKILL);
    ::kill(pid, SIGKILL);
  }

  asio::posix::stream_descriptor pipe;
  asio::posix::stream_descriptor exit_watch;
  asio::steady_timer deadline;
  asio::steady_timer poll;
  std::string tag;
  Done done;
  std::shared_ptr<Children> children;
  pid_t pid = -1;
  bool exited = false;  // reaped
  bool reading = false;
  std::array<char, 4096> buf{};
  std::string line;
  ProcessResult result;
};

ProcessRunner::~ProcessRunner() {
  for (auto& [pid, weak] : Children(*children_)) {
    auto c = weak.lock();
    if (!c) continue;
    c->done = nullptr;
    c->kill_group();
    int status = 0;
    if (::waitpid(pid, &status, 0) == pid) c->exited = true;
    spdlog::warn("{}: killed (pid {}) as its runner went away", c->tag, pid);
  }
  children_->clear();
}

// Said here, not when the child is reaped: at stop the daemon may exit
// before the loop gets to the reaping (seen as a missing "killed at stop"
// line in vrrp_notify_test.sh, 1 run in 3 on a loaded machine).
void ProcessRunner::kill_all() {
  for (auto& [pid, weak] : *children_) {
    if (auto c = weak.lock()) {
      if (c->exited || c->result.killed) continue;
      c->result.killed = true;
      spdlog::warn("{}: killed at stop", c->tag);
      c->kill_group();
    }
  }
}

void ProcessRunner::run(std::vector<std::string> argv, std::string tag, std::chrono::milliseconds timeout, Done done) {
  auto fail = [&](const std::string& why) {
    spdlog::error("{}: cannot start {}: {}", tag, argv.empty() ? "" : argv[0], why);
    if (done) {
      ProcessResult r;
      r.error = why;
      done(r);
    }
  };
  if (argv.empty()) return fail("no program");
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return fail(std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  // Every descriptor of the daemon is close-on-exec already (core/cloexec.h);
  // this is the belt: nothing above 2 reaches the program, whoever opened it.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal handling and an empty mask, in a
  // process group of its own (pgid = its pid).
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setpgroup(&attr, 0);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP;
  // A program run from a real-time loop runs at the normal policy.
  sched_param normal{};
  if (this_thread_is_realtime()) {
    posix_spawnattr_setschedpolicy(&attr, SCHED_OTHER);
    posix_spawnattr_setschedparam(&attr, &normal);
    flags |= POSIX_SPAWN_SETSCHEDULER;
  }
  posix_spawnattr_setflags(&attr, flags);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return fail(std::strerror(rc));
  }
  auto child = std::make_shared<Child>(io_, std::move(tag), std::move(done), children_);
  child->start(pid, fds[0]);
  child->deadline.expires_after(timeout);
  child->deadline.async_wait([weak = std::weak_ptr<Child>(child)](boost::system::error_code ec) {
    auto c = weak.lock();
    if (ec || !c || c->exited) return;
    c->result.timed_out = true;
    c->kill_group();
  });
}

}  // namespace pairgate
