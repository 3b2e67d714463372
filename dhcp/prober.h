// Conflict probes before an address is offered: an ARP probe on a directly
// attached LAN (RFC 5227 §2.1.1, sender 0.0.0.0, so nobody's ARP cache
// learns from it) or an ICMP echo for a relayed subnet (core/icmp_echo.h).
// Any ARP from the address, or an echo reply from it with our id, within
// the wait is a conflict. Probes run side by side; a waiting probe holds up
// no other client. Waits are steady timers.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "core/raw_socket.h"
#include "dhcp/engine.h"
#include "core/icmp_echo.h"

namespace pairgate::dhcp {

class Prober {
 public:
  using Done = std::function<void(std::uint64_t id, bool conflict)>;

  // How probes leave and what comes back: raw sockets in the daemon
  // (raw_network()), a double in tests. A send may throw when its socket
  // cannot be opened (no CAP_NET_RAW).
  class Network {
   public:
    struct Handlers {
      std::function<void(Ipv4Address sender)> arp;               // an ARP (not our own) from `sender`
      std::function<void(std::span<const std::byte> ip)> icmp;   // an IPv4 datagram carrying ICMP
    };
    virtual ~Network() = default;
    virtual void listen(Handlers handlers) = 0;
    virtual std::error_code send_arp_probe(int ifindex, const MacAddress& mac, Ipv4Address target) = 0;
    virtual std::error_code send_echo(Ipv4Address target, std::span<const std::byte> request) = 0;
    virtual void close() = 0;
  };
  static std::unique_ptr<Network> raw_network(boost::asio::io_context& io);

  struct Waits {
    std::chrono::milliseconds arp{250};
    std::chrono::milliseconds echo{500};
  };

  Prober(boost::asio::io_context& io, Done done);
  Prober(boost::asio::io_context& io, Done done, std::unique_ptr<Network> network, Waits waits);
  ~Prober();

  // Starts a probe; `done` runs once with its answer. A probe that cannot be
  // sent (no socket, no MAC) reports no conflict at once: the address is
  // offered unprobed, as with conflict_check: none, and counted.
  void start(const Probe& probe, int ifindex, const MacAddress& mac);
  void close();

  std::uint64_t sent() const { return sent_; }
  std::uint64_t failed() const { return failed_; }
  // ICMP that could not be read (EchoError other than not_echo_reply/not_icmp).
  std::uint64_t malformed() const { return malformed_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::uint64_t id;
    conf::ConflictCheck method;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  void icmp(std::span<const std::byte> packet);
  void answer(Ipv4Address from, conf::ConflictCheck method);
  void finish(Ipv4Address address, bool conflict);

  boost::asio::io_context& io_;
  Done done_;
  std::unique_ptr<Network> network_;
  Waits waits_;
  std::map<Ipv4Address, Pending> pending_;
  std::uint16_t echo_id_;
  std::uint16_t echo_seq_ = 0;
  std::uint64_t sent_ = 0, failed_ = 0, malformed_ = 0;
};

}  // namespace pairgate::dhcp
