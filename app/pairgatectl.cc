// pairgatectl: talks to pairgated over its control socket.
//
// Exit codes: 0 done; 1 the daemon refused (bad configuration, not allowed);
// 2 the daemon could not be reached or is busy; 64 a wrong command line.
#include <CLI/CLI.hpp>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "app/status_table.h"
#include "core/control_protocol.h"

namespace {

using pairgate::control::Command;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

int fail(const std::string& message) {
  std::cerr << "pairgatectl: " << message << "\n";
  return 2;
}

int run(const std::string& socket_path, double timeout_s, Command command, bool as_json) {
  Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  timeval tv{static_cast<time_t>(timeout_s), static_cast<suseconds_t>((timeout_s - static_cast<long>(timeout_s)) * 1e6)};
  ::setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return fail("socket path too long: " + socket_path);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    if (e == ENOENT || e == ECONNREFUSED) {
      return fail("pairgated is not running (nothing listens on " + socket_path + ")");
    }
    if (e == EACCES || e == EPERM) {
      return fail("permission denied on " + socket_path + ": run as root or as a member of its group");
    }
    return fail("cannot connect to " + socket_path + ": " + std::strerror(e));
  }
  const std::string request = pairgate::control::encode_request(command);
  if (::send(s.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    return fail(std::string("cannot send the request: ") + std::strerror(errno));
  }
  std::string line;
  char buf[65536];
  for (;;) {
    ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return fail("no answer from pairgated within the timeout");
    if (n < 0) return fail(std::string("cannot read the answer: ") + std::strerror(errno));
    if (n == 0) break;
    line.append(buf, static_cast<std::size_t>(n));
    if (auto nl = line.find('\n'); nl != std::string::npos) {
      line.resize(nl);
      break;
    }
    if (line.size() > (64u << 20)) return fail("the answer is too large");
  }
  auto response = pairgate::control::parse_response(line);
  if (!response) return fail(response.error());
  if (!response->ok) {
    std::cerr << "pairgatectl: " << response->error << "\n";
    if (response->code == pairgate::control::code::busy) return 2;
    if (response->details.is_array()) {
      for (const auto& d : response->details) std::cerr << "  " << (d.is_string() ? d.get<std::string>() : d.dump()) << "\n";
    }
    return 1;
  }
  if (as_json) {
    std::cout << response->result.dump(2) << "\n";
  } else if (command == Command::status) {
    std::cout << pairgate::render_status(response->result);
  } else if (command == Command::leases) {
    std::cout << pairgate::render_leases(response->result);
  } else {
    std::cout << "reloaded: " << response->result.value("changed", std::string("done")) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pairgatectl: status, leases and reload of a running pairgated"};
  std::string socket_path(pairgate::control::kDefaultSocket);
  double timeout_s = 5.0;
  bool status_json = false;
  bool leases_json = false;
  app.add_option("-s,--socket", socket_path, "control socket")->capture_default_str();
  app.add_option("-t,--timeout", timeout_s, "seconds to wait for the daemon")->check(CLI::Range(0.1, 600.0))->capture_default_str();
  app.require_subcommand(1);
  auto* status = app.add_subcommand("status", "show VRRP, DHCP, tunnel and firewall state");
  status->add_flag("--json", status_json, "print the daemon's JSON");
  auto* leases = app.add_subcommand("leases", "list DHCP leases");
  leases->add_flag("--json", leases_json, "print the daemon's JSON");
  app.add_subcommand("reload", "re-read the configuration (root only)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;  // EX_USAGE
  }

  if (app.got_subcommand("status")) return run(socket_path, timeout_s, Command::status, status_json);
  if (app.got_subcommand("leases")) return run(socket_path, timeout_s, Command::leases, leases_json);
  return run(socket_path, timeout_s, Command::reload, false);
}
