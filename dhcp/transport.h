// How DHCP messages enter and leave: UDP port 67 on one interface, and
// frames to a client that has no address yet. The I/O half of the server;
// dhcp/engine.h decides what to send.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <expected>
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

// One UDP datagram to send (Transport::send's arguments).
struct Outgoing {
  std::span<const std::byte> payload;
  Ipv4Address from;
  Ipv4Address to;
  std::uint16_t port = 0;
};
// Called with the index (into the batch) and the error of each datagram of a
// batch that could not be sent.
using SendFailed = std::function<void(std::size_t index, std::error_code ec)>;

// What the service needs of an interface's port 67 (dhcp::Service takes
// any; tests use a double).
class Transport {
 public:
  // The datagrams one receive call read, in order (the replies they cause
  // can leave together).
  using Handler = std::function<void(std::span<const Datagram>)>;
  virtual ~Transport() = default;

  // Calls handler with the datagrams read, batch by batch, until close().
  virtual void start(Handler handler) = 0;
  virtual void close() = 0;
  // A datagram from `from` (the server identifier) to `to`:`port`.
  virtual std::error_code send(std::span<const std::byte> payload, Ipv4Address from, Ipv4Address to,
                               std::uint16_t port) = 0;
  // Each of `batch` as send() would; `failed` for each that was not sent.
  // Returns how many were sent. (This default: one send() each.)
  virtual std::size_t send_batch(std::span<const Outgoing> batch, const SendFailed& failed);
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
  static constexpr std::size_t kSendSlots = 64;

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
  // sendmmsg, kSendSlots datagrams a call (send_all below).
  std::size_t send_batch(std::span<const Outgoing> batch, const SendFailed& failed) override;
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

// The sendmmsg loop without the socket (the seam its unit test uses).
// `send_from(first)` sends datagrams first, first + 1, ... of `count` in one
// call and returns how many the kernel took, or the error of datagram
// `first` (sendmmsg's -1: nothing of the rest was sent). A partial send
// continues with the rest; a refused datagram is reported to `failed` and
// skipped; EINTR retries. Returns how many were sent.
std::size_t send_all(std::size_t count, const std::function<std::expected<std::size_t, std::error_code>(std::size_t first)>& send_from,
                     const SendFailed& failed);

// IPv4 + UDP headers around `payload` (RFC 791, RFC 768 with its checksum).
std::vector<std::byte> ipv4_udp(Ipv4Address from, Ipv4Address to, std::uint16_t sport, std::uint16_t dport,
                                std::span<const std::byte> payload);

}  // namespace pairgate::dhcp
