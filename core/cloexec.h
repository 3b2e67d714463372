// Sockets opened close-on-exec. Boost.Asio's open() and accept() create
// descriptors without SOCK_CLOEXEC, so a program the daemon starts (a
// notify script) would inherit them — the control socket among them, which
// then "answers" for a daemon that is gone. Every socket goes through
// these instead. (The child also closes everything above 2 before exec:
// core/process.cc; this is the rule, that is the belt.)
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <boost/system/error_code.hpp>

#include <cerrno>

namespace pairgate {

// Opens `socket` (any Asio socket or acceptor) for `protocol`, with
// SOCK_CLOEXEC set at creation; ec as Asio's open() would set it.
template <class Socket, class Protocol>
void open_cloexec(Socket& socket, const Protocol& protocol, boost::system::error_code& ec) {
  const int fd = ::socket(protocol.family(), protocol.type() | SOCK_CLOEXEC, protocol.protocol());
  if (fd < 0) {
    ec.assign(errno, boost::system::system_category());
    return;
  }
  socket.assign(protocol, fd, ec);
  if (ec) ::close(fd);
}

}  // namespace pairgate
