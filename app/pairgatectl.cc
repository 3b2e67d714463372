// pairgatectl: talks to pairgated over its control socket; `import` (import/)
// writes a pairgate.yaml from another setup's files and needs no daemon.
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
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "app/status_table.h"
#include "core/control_protocol.h"
#include "import/command.h"

namespace {

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

// One connection to the daemon.
class Connection {
 public:
  // Connects; on failure returns the exit code through error().
  Connection(const std::string& socket_path, double timeout_s) {
    s_.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s_.fd < 0) {
      error_ = fail(std::string("socket: ") + std::strerror(errno));
      return;
    }
    timeval tv{static_cast<time_t>(timeout_s), static_cast<suseconds_t>((timeout_s - static_cast<long>(timeout_s)) * 1e6)};
    ::setsockopt(s_.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s_.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.size() >= sizeof addr.sun_path) {
      error_ = fail("socket path too long: " + socket_path);
      return;
    }
    std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
    if (::connect(s_.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const int e = errno;
      if (e == ENOENT || e == ECONNREFUSED) {
        error_ = fail("pairgated is not running (nothing listens on " + socket_path + ")");
      } else if (e == EACCES || e == EPERM) {
        error_ = fail("permission denied on " + socket_path + ": run as root or as a member of its group");
      } else {
        error_ = fail("cannot connect to " + socket_path + ": " + std::strerror(e));
      }
    }
  }
  int error() const { return error_; }

  // Reads one line (without its newline): the line, or the exit code. At the
  // end of the stream, whatever came without a newline (maybe nothing).
  std::variant<std::string, int> read_line() {
    for (;;) {
      if (auto nl = pending_.find('\n'); nl != std::string::npos) {
        std::string line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return line;
      }
      char buf[65536];
      ssize_t n = ::recv(s_.fd, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return fail("no answer from pairgated within the timeout");
      if (n < 0) return fail(std::string("cannot read the answer: ") + std::strerror(errno));
      if (n == 0) {
        ended_ = true;
        return std::exchange(pending_, {});
      }
      pending_.append(buf, static_cast<std::size_t>(n));
      if (pending_.size() > (64u << 20)) return fail("the answer is too large");
    }
  }
  bool ended() const { return ended_; }

  // From now on a read waits as long as it takes (a stream between events).
  void wait_forever() {
    timeval none{};
    ::setsockopt(s_.fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
  }

  // Sends one request and reads one answer line; on failure returns the exit code.
  std::variant<pairgate::control::Response, int> call(std::string_view command, const nlohmann::json& args = nlohmann::json::object()) {
    const std::string request = pairgate::control::encode_request(command, args);
    if (::send(s_.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      return fail(std::string("cannot send the request: ") + std::strerror(errno));
    }
    auto got = read_line();
    if (auto* code = std::get_if<int>(&got)) return *code;
    const std::string& line = std::get<std::string>(got);
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
    return std::move(*response);
  }

 private:
  Fd s_;
  int error_ = 0;
  std::string pending_;
  bool ended_ = false;
};

struct LeaseQuery {
  std::size_t offset = 0;
  std::optional<std::size_t> limit;  // none: every lease, page by page
  std::string search;
};

// The daemon answers `leases` a page at a time ({"total", "leases": [...]});
// this gathers the pages the query asks for.
int leases(Connection& c, const LeaseQuery& q, bool as_json) {
  constexpr std::size_t kPage = 1000;
  auto all = nlohmann::json::array();
  std::size_t offset = q.offset;
  for (;;) {
    const std::size_t want = q.limit ? std::min(kPage, *q.limit - all.size()) : kPage;
    nlohmann::json args = {{"offset", offset}, {"limit", want}};
    if (!q.search.empty()) args["q"] = q.search;
    auto r = c.call("leases", args);
    if (auto* code = std::get_if<int>(&r)) return *code;
    auto& result = std::get<pairgate::control::Response>(r).result;
    if (result.is_array()) {  // a daemon that does not page
      all = std::move(result);
      break;
    }
    auto page = result.value("leases", nlohmann::json::array());
    const std::size_t got = page.size();
    for (auto& l : page) all.push_back(std::move(l));
    offset += got;
    const std::size_t total = result.value("total", std::size_t{0});
    if (got == 0 || offset >= total || (q.limit && all.size() >= *q.limit)) break;
  }
  if (as_json) {
    std::cout << all.dump(2) << "\n";
  } else {
    std::cout << pairgate::render_leases(all);
  }
  return 0;
}

int simple(Connection& c, const std::string& command, bool as_json) {
  auto r = c.call(command);
  if (auto* code = std::get_if<int>(&r)) return *code;
  const auto& result = std::get<pairgate::control::Response>(r).result;
  if (as_json) {
    std::cout << result.dump(2) << "\n";
  } else if (command == "status") {
    std::cout << pairgate::render_status(result);
  } else {
    std::cout << "reloaded: " << result.value("changed", std::string("done")) << "\n";
  }
  return 0;
}

// `events`: one line per event as it happens. The daemon cuts a reader that
// falls 1 MiB behind; this one then comes back for what followed the last
// event it printed and says how many the daemon no longer holds. It ends
// when the daemon can no longer be reached (exit 2).
int events(const std::string& socket_path, double timeout_s, std::optional<std::uint64_t> since, bool as_json) {
  std::string boot;
  for (bool first = true;; first = false) {
    Connection c(socket_path, timeout_s);
    if (c.error() != 0) return c.error();
    nlohmann::json args = nlohmann::json::object();
    if (since) args["since"] = *since;
    if (!boot.empty()) args["boot"] = boot;
    auto r = c.call("events", args);
    if (auto* code = std::get_if<int>(&r)) return *code;
    const auto& header = std::get<pairgate::control::Response>(r).result;
    const std::string now_boot = header.value("boot", std::string());
    if (!first && now_boot != boot) std::cerr << "pairgatectl: pairgated restarted; its events start again at 1\n";
    boot = now_boot;
    c.wait_forever();
    for (;;) {
      auto got = c.read_line();
      if (auto* code = std::get_if<int>(&got)) return *code;
      const std::string& line = std::get<std::string>(got);
      if (line.empty()) {
        if (c.ended()) break;
        continue;
      }
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) return fail("the daemon sent a malformed event");
      if (auto m = j.find("missed"); m != j.end()) {
        std::cerr << "pairgatectl: fell behind; " << m->dump() << " events are no longer held by pairgated\n";
        if (as_json) std::cout << line << std::endl;
        continue;
      }
      if (auto seq = j.find("seq"); seq != j.end() && seq->is_number_unsigned()) since = seq->get<std::uint64_t>();
      if (as_json) {
        std::cout << line << std::endl;
      } else {
        std::cout << pairgate::render_event(j) << std::flush;
      }
      if (!std::cout) return 0;  // stdout is gone
    }
    // Cut loose, or the daemon stopped: the next connection tells.
    if (!since) since = header.value("last_seq", std::uint64_t{0});
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pairgatectl: status, leases, events and reload of a running pairgated; import of a keepalived + isc-dhcp-server setup"};
  std::string socket_path(pairgate::control::kDefaultSocket);
  double timeout_s = 5.0;
  bool status_json = false;
  bool leases_json = false;
  LeaseQuery query;
  std::size_t limit = 0;
  app.add_option("-s,--socket", socket_path, "control socket")->capture_default_str();
  app.add_option("-t,--timeout", timeout_s, "seconds to wait for the daemon")->check(CLI::Range(0.1, 600.0))->capture_default_str();
  app.require_subcommand(1);
  auto* status = app.add_subcommand("status", "show VRRP, DHCP, tunnel and firewall state");
  status->add_flag("--json", status_json, "print the daemon's JSON");
  auto* leases_cmd = app.add_subcommand("leases", "list DHCP leases");
  leases_cmd->add_flag("--json", leases_json, "print the daemon's JSON");
  leases_cmd->add_option("--search", query.search, "only leases whose address, MAC, client id or hostname contains TEXT");
  leases_cmd->add_option("--offset", query.offset, "skip the first N leases (in address order)");
  leases_cmd->add_option("--limit", limit, "at most N leases")->check(CLI::PositiveNumber);
  app.add_subcommand("reload", "re-read the configuration (root only)");
  auto* events_cmd = app.add_subcommand("events", "follow state changes (VRRP, tunnels, peer, DHCP, firewall, reloads) as they happen");
  bool events_json = false;
  std::uint64_t since = 0;
  events_cmd->add_flag("--json", events_json, "one JSON object per line: {seq, time, kind, subject, message, data}");
  auto* since_opt = events_cmd->add_option("--since", since, "first replay the events after sequence number SEQ that the daemon still holds");
  pairgate::import::Options imp;
  auto* import_cmd = app.add_subcommand(
      "import", "print a pairgate.yaml made from keepalived, isc-dhcp-server, /etc/default/ipoe, "
                "iptables-persistent, sysctl and netplan files (warnings on stderr)");
  import_cmd->add_option("--root", imp.root, "read the files under DIR instead of /")->capture_default_str();
  import_cmd->add_option("--node", imp.node, "node name (default: ROOT/etc/hostname)");
  import_cmd->add_option("--keepalived", imp.keepalived, "keepalived.conf (default ROOT/etc/keepalived/keepalived.conf)");
  import_cmd->add_option("--dhcpd", imp.dhcpd, "dhcpd.conf (default ROOT/etc/dhcp/dhcpd.conf, or DHCPDv4_CONF)");
  import_cmd->add_option("--dhcpd-defaults", imp.dhcpd_defaults, "default ROOT/etc/default/isc-dhcp-server");
  import_cmd->add_option("--ipoe", imp.ipoe, "default ROOT/etc/default/ipoe");
  import_cmd->add_option("--rules-v4", imp.rules_v4, "iptables-save output (default ROOT/etc/iptables/rules.v4)");
  import_cmd->add_option("--rules-v6", imp.rules_v6, "ip6tables-save output (default ROOT/etc/iptables/rules.v6)");
  import_cmd->add_option("--sysctl", imp.sysctl, "sysctl files (default ROOT/etc/sysctl.d/*.conf, ROOT/etc/sysctl.conf)");
  import_cmd->add_option("--netplan", imp.netplan, "netplan files (default ROOT/etc/netplan/*.yaml)");
  import_cmd->add_flag("!--no-live", imp.live, "do not look at this host's addresses (only used with --root /)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 64;  // EX_USAGE
  }
  if (limit > 0) query.limit = limit;
  if (app.got_subcommand("import")) return pairgate::import::run(imp, std::cout, std::cerr);

  if (app.got_subcommand("events")) {
    return events(socket_path, timeout_s, since_opt->count() > 0 ? std::optional<std::uint64_t>(since) : std::nullopt,
                  events_json);
  }
  Connection c(socket_path, timeout_s);
  if (c.error() != 0) return c.error();
  if (app.got_subcommand("status")) return simple(c, "status", status_json);
  if (app.got_subcommand("leases")) return leases(c, query, leases_json);
  return simple(c, "reload", false);
}
