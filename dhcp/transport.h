// How DHCP messages enter and leave: UDP port 67 on one interface, and
// frames to a client that has no address yet. The I/O half of the server;
// dhcp/engine.h decides what to send.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "core/address.h"
#include "core/raw_socket.h"
#include "dhcp/pacer.h"

namespace pairgate::dhcp {

struct Datagram {
  std::span<const std::byte> data;  // valid during the handler only
  Ipv4Address source;
  std::uint16_t source_port = 0;
  Ipv4Address destination;  // from IP_PKTINFO: 255.255.255.255 or one of ours
};

// What the service needs of an interface's port 67 (dhcp::Service takes
// any; tests use a double).
class Transport {
 public:
  using Handler = std::function<void(const Datagram&)>;
  virtual ~Transport() = default;

  // Calls handler for each datagram until close().
  virtual void start(Handler handler) = 0;
  virtual void close() = 0;
  // A datagram from `from` (the server identifier) to `to`:`port`.
  virtual std::error_code send(std::span<const std::byte> payload, Ipv4Address from, Ipv4Address to,
                               std::uint16_t port) = 0;
  // RFC 2131 §4.1: to yiaddr at chaddr, for a client that cannot answer ARP
  // yet, without an ARP entry.
  virtual std::error_code send_to_hardware(std::span<const std::byte> payload, Ipv4Address from, Ipv4Address to,
                                           const MacAddress& mac) = 0;
  // Receive calls that failed (other than "nothing to read").
  virtual std::uint64_t receive_errors() const = 0;
};

// UDP 0.0.0.0:67 bound to one interface (SO_BINDTODEVICE), so that several
// interfaces each get their own socket and every reply leaves where its
// request arrived. Receiving drains the queue on each wakeup with recvmmsg
// (kSlots datagrams a call, into buffers allocated once): what arrives in one
// turn of the loop is answered in that turn (and committed as one batch).
//
// After each drain a ReceivePacer (dhcp/pacer.h) decides: under load the next
// drain follows `pace` later, on a timer, instead of a wakeup per datagram;
// under light load (and after a drain that found nothing) it waits for the
// socket, and the next datagram is answered at once.
class ServerSocket final : public Transport {
 public:
  static constexpr std::size_t kSlots = 16;
  static constexpr std::size_t kSlotBytes = 65536;  // a whole UDP datagram

  // Throws std::system_error when the socket cannot be opened or bound (the
  // interface is missing, the port is taken).
  ServerSocket(boost::asio::io_context& io, const std::string& interface, int ifindex,
               ReceivePacer::Limits pacing = {});
  ServerSocket(const ServerSocket&) = delete;
  ServerSocket& operator=(const ServerSocket&) = delete;

  void start(Handler handler) override;
  void close() override;
  std::error_code send(std::span<const std::byte> payload, Ipv4Address from, Ipv4Address to,
                       std::uint16_t port) override;
  // The IPv4 and UDP headers are built here (ipv4_udp) and the frame goes
  // out through AF_PACKET.
  std::error_code send_to_hardware(std::span<const std::byte> payload, Ipv4Address from, Ipv4Address to,
                                   const MacAddress& mac) override;
  std::uint64_t receive_errors() const override { return receive_errors_; }

  const std::string& interface() const { return interface_; }
  int ifindex() const { return ifindex_; }

 private:
  void wait();
  void paced_wait(std::chrono::microseconds delay);
  void resume(std::size_t received);
  // Hands each queued datagram (at most 256) to the handler; how many.
  std::size_t drain();

  std::string interface_;
  int ifindex_;
  boost::asio::ip::udp::socket socket_;
  std::optional<RawSocket> frames_;
  Handler handler_;
  ReceivePacer pacer_;
  boost::asio::steady_timer pace_timer_;
  // kSlots * kSlotBytes, left uninitialised: only the pages datagrams land
  // in become resident (a zeroed 1 MiB would cost 1 MiB of RSS).
  std::unique_ptr<std::byte[]> buffer_;
  std::uint64_t receive_errors_ = 0;
};

// IPv4 + UDP headers around `payload` (RFC 791, RFC 768 with its checksum).
std::vector<std::byte> ipv4_udp(Ipv4Address from, Ipv4Address to, std::uint16_t sport, std::uint16_t dport,
                                std::span<const std::byte> payload);

}  // namespace pairgate::dhcp
