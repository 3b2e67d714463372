// Helpers for tests run by run_in_netns.sh.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

namespace pairgate::testing {

inline std::string env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr) throw std::runtime_error(std::string("run me through run_in_netns.sh: no ") + name);
  return v;
}

// Runs fn with this thread in namespace `ns`, then returns to where it was.
// Sockets opened inside stay in that namespace.
inline void in_namespace(const std::string& ns, const std::function<void()>& fn) {
  int self = ::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int other = ::open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (self < 0 || other < 0 || ::setns(other, CLONE_NEWNET) != 0) throw std::runtime_error("setns " + ns);
  try {
    fn();
  } catch (...) {
    ::setns(self, CLONE_NEWNET);
    ::close(self);
    ::close(other);
    throw;
  }
  ::setns(self, CLONE_NEWNET);
  ::close(self);
  ::close(other);
}

// Runs `io` until pred() holds, for at most `limit`; returns pred().
template <class Pred>
bool run_until(boost::asio::io_context& io, Pred pred,
               std::chrono::milliseconds limit = std::chrono::seconds(2)) {
  using namespace std::chrono_literals;
  for (auto waited = 0ms; waited < limit && !pred(); waited += 10ms) {
    io.run_for(10ms);
    io.restart();
  }
  return pred();
}

}  // namespace pairgate::testing
