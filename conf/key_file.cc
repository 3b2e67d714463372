#include "conf/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace pairgate::conf {

void wipe(std::vector<std::uint8_t>& bytes) {
  volatile std::uint8_t* p = bytes.data();
  for (std::size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
  bytes.clear();
}

std::expected<std::vector<std::uint8_t>, std::string> read_key_file(const std::string& path, std::size_t min_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    if (errno == ELOOP) return std::unexpected("it is a symbolic link; name the file itself");
    return std::unexpected(std::string("cannot open it: ") + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int e = errno;
    ::close(fd);
    return std::unexpected(std::string("cannot stat it: ") + std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected("it is not a regular file");
  }
  if ((st.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return std::unexpected(std::string("mode ") + mode + " lets group or others read or write it (chmod 600)");
  }
  std::vector<std::uint8_t> bytes(kMaxKeyBytes + 3);
  std::size_t size = 0;
  for (;;) {
    const ssize_t n = ::read(fd, bytes.data() + size, bytes.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int e = errno;
      ::close(fd);
      wipe(bytes);
      return std::unexpected(std::string("cannot read it: ") + std::strerror(e));
    }
    if (n == 0 || (size += static_cast<std::size_t>(n)) == bytes.size()) break;
  }
  ::close(fd);
  while (size > 0 && (bytes[size - 1] == '\n' || bytes[size - 1] == '\r')) --size;
  if (size > kMaxKeyBytes) {
    wipe(bytes);
    return std::unexpected("it holds more than " + std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (size < min_bytes) {
    wipe(bytes);
    return std::unexpected("it holds " + std::to_string(size) + " bytes; the secret needs at least " +
                           std::to_string(min_bytes) +
                           (min_bytes == kMinKeyBytes ? " (head -c 32 /dev/urandom | base64 > FILE)" : ""));
  }
  std::vector<std::uint8_t> out(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(size));
  wipe(bytes);
  return out;
}

}  // namespace pairgate::conf
