// The control socket: a UNIX stream socket serving control_protocol.h.
//
// Many clients at once, each served one request at a time. A request is
// handed to the handler with a CommandReply (core/commands.h), which may
// answer at once, later, or with a stream of lines. A client that sends
// nothing, sends an over-long line, or does not read what it is sent (its
// queue passes max_queued_bytes, or one write takes longer than
// write_timeout) is cut off, so no client can stall the event loop or grow
// memory.
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
#include <vector>

#include "core/clock.h"
#include "core/commands.h"
#include "core/control_protocol.h"

namespace pairgate {

struct ControlCounters {
  std::uint64_t connections = 0;
  std::uint64_t requests = 0;
  std::uint64_t bad_requests = 0;
  std::uint64_t rejected_busy = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t cut_slow = 0;  // a stream's reader fell max_queued_bytes behind
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
    // What one client may have waiting to be written (a stream that it does
    // not read); beyond it the client is cut off.
    std::size_t max_queued_bytes = 1 << 20;
    // The deadlines' clock; null: the steady clock.
    LoopClock* clock = nullptr;
  };
  // Answers through the reply (CommandRegistry::dispatch, in the daemon).
  using Handler = std::function<void(const control::Request&, const PeerCredentials&, ReplyPtr)>;

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
  class SessionReply;
  void accept();
  void admit(boost::asio::local::stream_protocol::socket socket);

  boost::asio::io_context& io_;
  Options options_;
  Handler handler_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::unique_ptr<LoopClock> own_clock_;
  LoopClock* clock_;
  std::unique_ptr<Timer> retry_;
  std::vector<std::weak_ptr<Session>> sessions_;
  ControlCounters counters_;
  std::shared_ptr<std::size_t> clients_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  ino_t inode_ = 0;
  dev_t device_ = 0;
  int lock_fd_ = -1;
};

}  // namespace pairgate
