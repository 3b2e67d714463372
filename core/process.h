// Runs helper programs (notify scripts) without blocking the event loop:
// posix_spawn into a process group of its own, output read asynchronously
// and logged line by line, the exit seen through a pidfd (so a helper the
// program left behind holding its output open does not hold up the result),
// the group killed when the program outlives its timeout.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace pairgate {

struct ProcessResult {
  int exit_code = -1;   // when it exited
  int signal = 0;       // when a signal ended it
  bool timed_out = false;
  bool killed = false;  // by kill_all()
  std::string output;   // stdout and stderr, at most 64 KiB kept
  std::string error;    // could not start
};

// What runs helper programs: ProcessRunner, or a double in tests.
class ProcessLauncher {
 public:
  using Done = std::function<void(const ProcessResult&)>;
  virtual ~ProcessLauncher() = default;

  // argv[0] is an absolute path. Output lines are logged as "tag: line".
  // `done` comes once, from the event loop (or at once when the program
  // cannot start), never after the launcher is destroyed.
  virtual void run(std::vector<std::string> argv, std::string tag, std::chrono::milliseconds timeout,
                   Done done = nullptr) = 0;
  // SIGKILL to every running program's process group; their results follow
  // with `killed` set.
  virtual void kill_all() = 0;
  virtual std::size_t running() const = 0;
};

class ProcessRunner final : public ProcessLauncher {
 public:
  explicit ProcessRunner(boost::asio::io_context& io) : io_(io) {}
  // Kills and reaps whatever still runs; no callback comes.
  ~ProcessRunner() override;
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  void run(std::vector<std::string> argv, std::string tag, std::chrono::milliseconds timeout,
           Done done = nullptr) override;
  void kill_all() override;
  std::size_t running() const override { return children_->size(); }

 private:
  struct Child;
  using Children = std::map<pid_t, std::weak_ptr<Child>>;
  boost::asio::io_context& io_;
  std::shared_ptr<Children> children_ = std::make_shared<Children>();
};

}  // namespace pairgate
