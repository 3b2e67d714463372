#include "conf/read_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace pairgate::conf {

namespace {

std::string os_error(int err) { return std::generic_category().message(err); }

// Empty for a regular file, else what it is.
std::string not_regular(mode_t mode) {
  if (S_ISREG(mode)) return {};
  if (S_ISDIR(mode)) return "it is a directory";
  const char* what = S_ISFIFO(mode)  ? "a FIFO (named pipe)"
                     : S_ISCHR(mode) ? "a character device"
                     : S_ISBLK(mode) ? "a block device"
                     : S_ISSOCK(mode) ? "a socket"
                                      : "not a regular file";
  return std::string("it is ") + what + "; the configuration must be a regular file";
}

std::string too_large(std::size_t size, std::size_t max) {
  return "it has " + std::to_string(size) + " bytes; a configuration file may have at most " +
         std::to_string(max);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::expected<std::string, std::string> read_source(const std::string& path, std::size_t max_bytes) {
  // stat before open: opening some devices acts on them (a watchdog, a tape).
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::unexpected(os_error(errno));
  if (auto why = not_regular(st.st_mode); !why.empty()) return std::unexpected(why);
  if (static_cast<std::size_t>(st.st_size) > max_bytes) return std::unexpected(too_large(st.st_size, max_bytes));
  // O_NONBLOCK: should the path have become a FIFO since the stat, open
  // returns at once instead of waiting for a writer; fstat then refuses it.
  Fd fd(::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) return std::unexpected(os_error(errno));
  if (::fstat(fd.get(), &st) != 0) return std::unexpected(os_error(errno));
  if (auto why = not_regular(st.st_mode); !why.empty()) return std::unexpected(why);

  std::string text;
  text.reserve(std::min(static_cast<std::size_t>(st.st_size), max_bytes) + 1);
  std::array<char, 64 * 1024> buffer;
  while (text.size() <= max_bytes) {
    const std::size_t want = std::min(buffer.size(), max_bytes + 1 - text.size());
    const ssize_t n = ::read(fd.get(), buffer.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(os_error(errno));
    if (n == 0) break;
    text.append(buffer.data(), static_cast<std::size_t>(n));
  }
  if (text.size() > max_bytes) {
    return std::unexpected("it grew past " + std::to_string(max_bytes) +
                           " bytes while it was read; a configuration file may have at most " +
                           std::to_string(max_bytes));
  }
  return text;
}

}  // namespace pairgate::conf
