// Conflict probes before an address is offered: an ARP probe on a directly
// attached LAN (RFC 5227 §2.1.1, sender 0.0.0.0, so nobody's ARP cache
// learns from it) or an ICMP echo for a relayed subnet. Any ARP from the
// address, or an echo reply from it, within the wait is a conflict. Probes
// run side by side; a waiting probe holds up no other client.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "core/raw_socket.h"
#include "dhcp/engine.h"

namespace pairgate::dhcp {

class Prober {
 public:
  using Done = std::function<void(std::uint64_t id, bool conflict)>;
  static constexpr std::chrono::milliseconds kArpWait{250};
  static constexpr std::chrono::milliseconds kEchoWait{500};

  Prober(boost::asio::io_context& io, Done done);
  ~Prober();

  // Starts a probe; `done` runs once with its answer. A probe that cannot be
  // sent (no socket, no MAC) reports no conflict at once: the address is
  // offered unprobed, as with conflict_check: none, and counted.
  void start(const Probe& probe, int ifindex, const MacAddress& mac);
  void close();

  std::uint64_t sent() const { return sent_; }
  std::uint64_t failed() const { return failed_; }
  std::size_t pending() const { return pending_.size(); }

 private:
  struct Pending {
    std::uint64_t id;
    conf::ConflictCheck method;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  RawSocket* arp_socket(int ifindex);
  RawSocket* icmp_socket();
  void answer(Ipv4Address from, conf::ConflictCheck method);
  void finish(Ipv4Address address, bool conflict);

  boost::asio::io_context& io_;
  Done done_;
  std::map<int, std::unique_ptr<RawSocket>> arp_;
  std::unique_ptr<RawSocket> icmp_;
  std::map<Ipv4Address, Pending> pending_;
  std::uint16_t echo_id_;
  std::uint16_t echo_seq_ = 0;
  std::uint64_t sent_ = 0, failed_ = 0;
};

}  // namespace pairgate::dhcp
