// Helpers for tests run by run_in_netns.sh.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

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

}  // namespace pairgate::testing
