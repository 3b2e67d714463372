// An AAAA lookup over UDP on the event loop (tunnel/dns for the messages).
// One lookup at a time; servers are asked in order, each once, until one
// gives an answer (addresses, NXDOMAIN or no data).
//
// The answer decides where all IPv4 traffic goes, so a forged one must be
// hard to place (RFC 5452): the ID comes from the kernel's random source
// (getrandom), each query has a fresh socket whose source port the kernel
// picks at random, and datagrams from another address or port, with
// another ID or question, not a response, or cut short or malformed, are
// ignored and counted (§9.1) while the lookup goes on waiting. An answer
// with TC set (it did not fit in UDP) or a server error moves on to the
// next server: the AAAA records of an AFTR fit in 512 bytes, so there is
// no TCP fallback.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <array>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tunnel/dns.h"
#include "tunnel/resolvers.h"
#include "core/clock.h"

namespace pairgate::tunnel {

// Why a datagram on the lookup's socket was not taken as its answer.
enum class Ignored { wrong_source, not_response, wrong_id, wrong_question, malformed };
inline constexpr std::size_t kIgnoredKinds = 5;
std::string_view to_string(Ignored i);  // "wrong_source", ...

// 16 bits from getrandom(2); throws std::system_error if the kernel fails.
std::uint16_t random_u16();

class DnsClient {
 public:
  // error: empty on an answer; else why no server answered (the last one's reason).
  using Callback = std::function<void(const dns::Response& response, const std::string& error)>;

  // `clock` outlives the client; `per_server`: how long each server has.
  DnsClient(boost::asio::io_context& io, LoopClock& clock,
            std::chrono::milliseconds per_server = std::chrono::seconds(2));
  ~DnsClient();
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;

  // Replaces a lookup in progress (its callback is not called).
  void resolve(const std::string& name, std::vector<Resolver> servers, Callback callback);
  void cancel();
  bool busy() const { return static_cast<bool>(callback_); }

  std::uint64_t queries() const { return queries_; }
  // Datagrams not taken as an answer, in all and by reason.
  std::uint64_t ignored() const;
  std::uint64_t ignored(Ignored why) const { return ignored_[static_cast<std::size_t>(why)]; }
  // Every reply that parse_response found fault with, by its error.
  const std::array<std::uint64_t, dns::kErrorKinds>& errors() const { return errors_; }
  // The ID of the query in flight (tests).
  std::uint16_t query_id() const { return id_; }

 private:
  void ask_next();
  void receive();
  void finish(const dns::Response& r, const std::string& error);
  void ignore(Ignored why);

  boost::asio::io_context& io_;
  std::chrono::milliseconds per_server_;
  LoopClock& clock_;
  boost::asio::ip::udp::socket socket_;
  std::unique_ptr<Timer> timer_;
  std::string name_;
  std::vector<Resolver> servers_;
  std::size_t next_ = 0;
  std::uint16_t id_ = 0;
  boost::asio::ip::udp::endpoint server_;
  boost::asio::ip::udp::endpoint from_;
  std::array<std::byte, 1500> buffer_{};
  std::vector<std::byte> query_;
  Callback callback_;
  std::string last_error_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::uint64_t queries_ = 0;
  std::array<std::uint64_t, kIgnoredKinds> ignored_{};
  std::array<std::uint64_t, dns::kErrorKinds> errors_{};
};

}  // namespace pairgate::tunnel
