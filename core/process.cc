#include "core/process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cstring>

extern char** environ;

namespace pairgate {

namespace asio = boost::asio;

struct ProcessRunner::Child : std::enable_shared_from_this<Child> {
  Child(asio::io_context& io, std::string tag, Done done, std::shared_ptr<std::size_t> running)
      : pipe(io), deadline(io), reaper(io), tag(std::move(tag)), done(std::move(done)), running(std::move(running)) {
    ++*this->running;
  }
  ~Child() { --*running; }

  void read() {
    pipe.async_read_some(asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (n > 0) self->take(std::string_view(self->buf.data(), n));
      if (ec) {
        self->flush();
        self->reap();
        return;
      }
      self->read();
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

  // The output is closed; the child is about to exit or has.
  void reap() {
    int status = 0;
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == 0) {
      reaper.expires_after(std::chrono::milliseconds(20));
      reaper.async_wait([self = shared_from_this()](boost::system::error_code ec) {
        if (!ec) self->reap();
      });
      return;
    }
    deadline.cancel();
    if (r == pid) {
      if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
      if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    }
    if (result.timed_out) {
      spdlog::warn("{}: killed after its timeout", tag);
    } else if (result.exit_code != 0) {
      spdlog::warn("{}: {}", tag,
                   result.signal ? "ended by signal " + std::to_string(result.signal)
                                 : "exited with " + std::to_string(result.exit_code));
    }
    if (done) done(result);
  }

  asio::posix::stream_descriptor pipe;
  asio::steady_timer deadline;
  asio::steady_timer reaper;
  std::string tag;
  Done done;
  std::shared_ptr<std::size_t> running;
  pid_t pid = -1;
  std::array<char, 4096> buf{};
  std::string line;
  ProcessResult result;
};

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
  // The child starts with default signal handling and an empty mask.
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
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
  auto child = std::make_shared<Child>(io_, std::move(tag), std::move(done), running_);
  child->pid = pid;
  child->pipe.assign(fds[0]);
  child->deadline.expires_after(timeout);
  child->deadline.async_wait([weak = std::weak_ptr<Child>(child)](boost::system::error_code ec) {
    auto c = weak.lock();
    if (ec || !c) return;
    c->result.timed_out = true;
    ::kill(-c->pid, SIGKILL);  // its own process group: helpers it started go too
    ::kill(c->pid, SIGKILL);
  });
  child->read();
}

}  // namespace pairgate
