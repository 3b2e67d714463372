// An AAAA lookup over UDP on the event loop (tunnel/dns for the messages).
// One lookup at a time; servers are asked in order, each once, until one
// gives an answer (addresses, NXDOMAIN or no data). Replies from another
// address or port, or with another ID or question, are ignored and counted
// (RFC 5452 §9.1). A truncated answer moves on to the next server: the AAAA
// records of an AFTR fit in 512 bytes, so there is no TCP fallback.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tunnel/dns.h"
#include "tunnel/resolvers.h"

namespace pairgate::tunnel {

class DnsClient {
 public:
  // error: empty on an answer; else why no server answered (the last one's reason).
  using Callback = std::function<void(const dns::Response& response, const std::string& error)>;

  DnsClient(boost::asio::io_context& io, std::chrono::milliseconds per_server = std::chrono::seconds(2));
  ~DnsClient();
  DnsClient(const DnsClient&) = delete;
  DnsClient& operator=(const DnsClient&) = delete;

  // Replaces a lookup in progress (its callback is not called).
  void resolve(const std::string& name, std::vector<Resolver> servers, Callback callback);
  void cancel();
  bool busy() const { return static_cast<bool>(callback_); }

  std::uint64_t queries() const { return queries_; }
  std::uint64_t ignored() const { return ignored_; }  // replies not for us
  const std::array<std::uint64_t, dns::kErrorKinds>& errors() const { return errors_; }

 private:
  void ask_next();
  void receive();
  void finish(const dns::Response& r, const std::string& error);

  boost::asio::io_context& io_;
  std::chrono::milliseconds per_server_;
  boost::asio::ip::udp::socket socket_;
  boost::asio::steady_timer timer_;
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
  std::mt19937 random_{std::random_device{}()};
  std::uint64_t queries_ = 0;
  std::uint64_t ignored_ = 0;
  std::array<std::uint64_t, dns::kErrorKinds> errors_{};
};

}  // namespace pairgate::tunnel
