// Raw sockets for the event loop: AF_PACKET frames and raw IP datagrams.
//
// Receiving is asynchronous (a wait on the descriptor, then recvmsg until the
// queue is empty) so ancillary data — the arrival interface, the TTL or hop
// limit, the link-layer source — reaches the module with each packet.
// Sending is a non-blocking sendmsg; a full queue is an error the caller
// counts, never a stall. Opening needs CAP_NET_RAW.
#pragma once

#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/io_context.hpp>

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <system_error>

#include "core/address.h"

namespace pairgate {

struct RawPacket {
  std::span<const std::byte> data;  // valid during the handler only
  int ifindex = 0;
  std::optional<IpAddress> source;       // raw IP sockets
  std::optional<IpAddress> destination;  // raw IP sockets (from PKTINFO)
  int hop_limit = -1;                    // TTL / hop limit when known
  std::optional<MacAddress> source_mac;  // AF_PACKET sockets
  std::uint16_t ethertype = 0;           // AF_PACKET sockets, host order
  bool outgoing = false;                 // AF_PACKET: our own frame looped back
};

// One non-blocking recvmsg() into `buffer`: the sender's address into
// `from` (`from_size` bytes), ancillary data into `control`. `msg` is left
// ready for CMSG_FIRSTHDR. Returns the datagram's length, or -1 with errno.
ssize_t receive_message(int fd, std::span<std::byte> buffer, void* from, std::size_t from_size,
                        std::span<char> control, msghdr& msg);

class RawSocket {
 public:
  using Handler = std::function<void(const RawPacket&)>;

  // AF_PACKET, SOCK_DGRAM (the kernel builds the Ethernet header), bound to
  // one interface and one ethertype (host order), e.g. ETH_P_ARP.
  static RawSocket packet(boost::asio::io_context& io, int ifindex, std::uint16_t ethertype);
  // The same for sending only: it receives nothing, so nothing queues up.
  static RawSocket packet_sender(boost::asio::io_context& io, int ifindex, std::uint16_t ethertype);
  // AF_INET/AF_INET6 SOCK_RAW for one IP protocol (112 VRRP, 1 ICMP, 58 ICMPv6).
  // IPv4 reads include the IP header, as raw(7) says.
  static RawSocket ip(boost::asio::io_context& io, Family family, int protocol);

  // Movable only before start(): a pending wait refers to this object.
  RawSocket(RawSocket&&) noexcept = default;
  RawSocket& operator=(RawSocket&&) noexcept = default;

  std::error_code bind_to_device(const std::string& ifname);
  std::error_code join_multicast(int ifindex, const IpAddress& group);
  std::error_code set_multicast_hops(int hops);   // IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS
  std::error_code set_unicast_hops(int hops);     // IP_TTL / IPV6_UNICAST_HOPS
  std::error_code set_multicast_loop(bool on);
  std::error_code set_multicast_interface(int ifindex);

  // Calls handler for each packet until close(); receive errors are logged
  // and reading goes on.
  void start(Handler handler);
  void close();
  // Reads, now, what is already queued (at most 64 datagrams) and hands it
  // to the handler, as the next wait would. For a timer that must not fire
  // on news the socket already holds (a loop that was not scheduled for a
  // while finds the timer and the datagrams ready at once).
  void poll();

  // Raw IP: to `destination`, out of `ifindex` when non-zero, from `source`
  // when given (IP_PKTINFO's ipi_spec_dst / IPV6_PKTINFO's ipi6_addr; it
  // must be an address of this host, else the send fails) instead of the
  // kernel's choice. `source` has the family of `destination`.
  std::error_code send_to(std::span<const std::byte> payload, const IpAddress& destination, int ifindex = 0,
                          const std::optional<IpAddress>& source = std::nullopt);
  // AF_PACKET: a frame body to `destination` on the bound interface.
  std::error_code send_frame(std::span<const std::byte> payload, const MacAddress& destination);

  int native_handle() { return socket_.native_handle(); }
  std::uint64_t receive_errors() const { return receive_errors_; }

 private:
  RawSocket(boost::asio::io_context& io, int domain, int fd, int ifindex, std::uint16_t ethertype);
  void wait();
  void drain();

  boost::asio::generic::raw_protocol::socket socket_;
  int domain_ = 0;
  int ifindex_ = 0;
  std::uint16_t ethertype_ = 0;
  Handler handler_;
  std::vector<std::byte> buffer_;
  std::uint64_t receive_errors_ = 0;
};

}  // namespace pairgate
