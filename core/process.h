// Runs helper programs (notify scripts) without blocking the event loop:
// posix_spawn, output read asynchronously and logged line by line, the child
// reaped by polling waitpid, killed when it outlives its timeout.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace pairgate {

struct ProcessResult {
  int exit_code = -1;   // when it exited
  int signal = 0;       // when a signal ended it
  bool timed_out = false;
  std::string output;   // stdout and stderr, at most 64 KiB kept
  std::string error;    // could not start
};

class ProcessRunner {
 public:
  using Done = std::function<void(const ProcessResult&)>;
  explicit ProcessRunner(boost::asio::io_context& io) : io_(io) {}

  // argv[0] is an absolute path. Output lines are logged as "tag: line".
  void run(std::vector<std::string> argv, std::string tag, std::chrono::milliseconds timeout,
           Done done = nullptr);
  std::size_t running() const { return *running_; }

 private:
  struct Child;
  boost::asio::io_context& io_;
  std::shared_ptr<std::size_t> running_ = std::make_shared<std::size_t>(0);
};

}  // namespace pairgate
