// The HTTP/1.1 listener and its sessions (Boost.Beast on the daemon's
// io_context). Bounded in every way a stranger controls:
//  - connections: at most max_connections at once; one more is answered
//    503 and closed at once;
//  - who: a client whose address is in no `allow` prefix is closed at once,
//    before a byte is read;
//  - time: the whole request head must arrive within request_timeout of the
//    connection (or of the previous response), so a slowloris client that
//    trickles bytes is cut off; an answer must be written within
//    write_timeout; a route that does not answer within answer_timeout gets 503;
//  - size: a request head over header_limit gets 431, a target over
//    kMaxTarget 414, a body 413; each ends the connection.
// Deadlines run on a LoopClock, so tests move time by hand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/address.h"
#include "core/clock.h"
#include "http/routes.h"

namespace pairgate::http {

struct ServerCounters {
  std::uint64_t connections = 0;      // accepted and served
  std::uint64_t requests = 0;         // request heads read
  std::uint64_t rejected_busy = 0;    // over max_connections: 503
  std::uint64_t denied = 0;           // address in no allow prefix: closed
  std::uint64_t timeouts = 0;         // request, write or answer deadline passed
  std::uint64_t header_too_large = 0; // 431
  std::uint64_t bad_requests = 0;     // unparsable head, a body: 400 / 413
  std::uint64_t accept_errors = 0;    // EMFILE and the like
};

class Server {
 public:
  struct Options {
    std::vector<boost::asio::ip::tcp::endpoint> listen;
    std::vector<IpPrefix> allow;
    std::size_t max_connections = 64;
    std::size_t header_limit = 8 * 1024;
    std::size_t max_requests_per_connection = 1000;
    std::chrono::milliseconds request_timeout = std::chrono::seconds(5);
    std::chrono::milliseconds write_timeout = std::chrono::seconds(10);
    std::chrono::milliseconds answer_timeout = std::chrono::seconds(10);
    LoopClock* clock = nullptr;  // null: the steady clock
  };
  // Answers a request: Routes::handle, in the daemon.
  using Handler = std::function<void(std::string_view method, std::string_view target, Routes::Done)>;

  Server(boost::asio::io_context& io, Options options, Handler handler);
  ~Server();

  // Binds every listen address (SO_REUSEADDR; IPv6 sockets are v6-only) and
  // starts accepting. Throws std::runtime_error naming the address that
  // failed; nothing stays bound then.
  void open();
  // Stops accepting and closes every connection.
  void close();

  // The ports actually bound, in listen order (tests listen on port 0).
  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;
  const ServerCounters& counters() const { return counters_; }
  std::size_t connections() const { return *open_; }

 private:
  class Session;
  struct Listener;
  void accept(Listener& l);
  // A connection accepted: refused (not allowed, too many) or given a session.
  void admit(boost::asio::ip::tcp::socket socket);
  bool allowed(const boost::asio::ip::address& a) const;

  boost::asio::io_context& io_;
  Options options_;
  Handler handler_;
  std::unique_ptr<LoopClock> own_clock_;
  LoopClock* clock_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::weak_ptr<Session>> sessions_;
  ServerCounters counters_;
  std::shared_ptr<std::size_t> open_ = std::make_shared<std::size_t>(0);
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// The client's address as the allow list sees it: an IPv4-mapped IPv6
// address (::ffff:192.0.2.1) is the IPv4 address.
IpAddress client_address(const boost::asio::ip::address& a);

}  // namespace pairgate::http
