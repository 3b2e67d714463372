// The control socket: a UNIX stream socket serving control_protocol.h.
//
// Many clients at once, each served one request at a time. A client that
// sends nothing, sends an over-long line or does not read its answer is cut
// off by a deadline, so no client can stall the event loop or grow memory.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/control_protocol.h"

namespace pairgate {

struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

struct ControlCounters {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;
  std::uint64_t rejected_busy = 0;
  std::uint64_t timeouts = 0;
};

class ControlServer {
 public:
  struct Options {
    std::string path;
    unsigned mode = 0660;
    std::optional<gid_t> group;
    std::size_t max_clients = 32;
    // Slots beyond max_clients that only root may take, so members of the
    // socket's group holding every slot cannot lock the administrator out.
    std::size_t root_reserve = 4;
    std::chrono::milliseconds idle_timeout = std::chrono::seconds(30);
    std::chrono::milliseconds write_timeout = std::chrono::seconds(5);
  };
  // Returns one response line (control::ok_response / error_response).
  using Handler = std::function<std::string(const control::Request&, const PeerCredentials&)>;

  ControlServer(boost::asio::io_context& io, Options options, Handler handler);
  ~ControlServer();

  // Takes the lock file beside the socket (PATH.lock, flock, held until the
  // server is destroyed), then binds the socket. Another daemon holding the
  // lock, or a socket that answers, means another daemon runs: refused. A
  // stale socket file (nobody accepting) is replaced: under the lock, two
  // daemons started at once cannot both find it stale and both bind.
  // Throws std::runtime_error with a message for the operator.
  void open();
  // Stops accepting, drops clients and removes the socket file if it is
  // still ours. The lock stays held until destruction, so no second daemon
  // starts while this one is still stopping.
  void close();

  const ControlCounters& counters() const { return counters_; }
  std::size_t clients() const { return *clients_; }
  const std::string& path() const { return options_.path; }

 private:
  class Session;
  void accept();
  void admit(boost::asio::local::stream_protocol::socket socket);

  boost::asio::io_context& io_;
  Options options_;
  Handler handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer retry_;
  ControlCounters counters_;
  std::shared_ptr<std::size_t> clients_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  ino_t inode_ = 0;
  dev_t device_ = 0;
  int lock_fd_ = -1;
};

}  // namespace pairgate
