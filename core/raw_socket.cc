#include "core/raw_socket.h"

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace pairgate {

namespace asio = boost::asio;

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

std::error_code setopt(int fd, int level, int name, int value) {
  return ::setsockopt(fd, level, name, &value, sizeof value) == 0 ? std::error_code() : last_error();
}

int checked(int fd, const char* what) {
  if (fd < 0) throw std::runtime_error(std::string("cannot open ") + what + ": " + std::strerror(errno));
  return fd;
}

}  // namespace

RawSocket::RawSocket(asio::io_context& io, int domain, int fd, int ifindex, std::uint16_t ethertype)
    : socket_(io), domain_(domain), ifindex_(ifindex), ethertype_(ethertype), buffer_(65536) {
  socket_.assign(asio::generic::raw_protocol(domain, domain == AF_PACKET ? htons(ethertype) : 0), fd);
  socket_.non_blocking(true);
}

RawSocket RawSocket::packet(asio::io_context& io, int ifindex, std::uint16_t ethertype) {
  int fd = checked(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ethertype)),
                   "an AF_PACKET socket");
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ethertype);
  sll.sll_ifindex = ifindex;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
    int e = errno;
    ::close(fd);
    throw std::runtime_error(std::string("cannot bind an AF_PACKET socket: ") + std::strerror(e));
  }
  return RawSocket(io, AF_PACKET, fd, ifindex, ethertype);
}

RawSocket RawSocket::packet_sender(asio::io_context& io, int ifindex, std::uint16_t ethertype) {
  // Protocol 0: the socket is bound to no frame type and receives nothing.
  int fd = checked(::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), "an AF_PACKET socket");
  return RawSocket(io, AF_PACKET, fd, ifindex, ethertype);
}

RawSocket RawSocket::ip(asio::io_context& io, Family family, int protocol) {
  const int domain = family == Family::ipv4 ? AF_INET : AF_INET6;
  int fd = checked(::socket(domain, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol), "a raw IP socket");
  RawSocket s(io, domain, fd, 0, 0);
  if (domain == AF_INET) {
    setopt(fd, IPPROTO_IP, IP_PKTINFO, 1);
  } else {
    setopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    setopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
  }
  return s;
}

std::error_code RawSocket::bind_to_device(const std::string& ifname) {
  if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                   static_cast<socklen_t>(ifname.size())) != 0) {
    return last_error();
  }
  return {};
}

std::error_code RawSocket::join_multicast(int ifindex, const IpAddress& group) {
  const int fd = socket_.native_handle();
  if (group.is_v4()) {
    ip_mreqn m{};
    auto b = group.v4().bytes();
    std::memcpy(&m.imr_multiaddr, b.data(), 4);
    m.imr_ifindex = ifindex;
    return ::setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0 ? std::error_code() : last_error();
  }
  ipv6_mreq m{};
  std::memcpy(&m.ipv6mr_multiaddr, group.v6().bytes().data(), 16);
  m.ipv6mr_interface = static_cast<unsigned>(ifindex);
  return ::setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &m, sizeof m) == 0 ? std::error_code() : last_error();
}

std::error_code RawSocket::set_multicast_hops(int hops) {
  return domain_ == AF_INET ? setopt(socket_.native_handle(), IPPROTO_IP, IP_MULTICAST_TTL, hops)
                            : setopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, hops);
}

std::error_code RawSocket::set_unicast_hops(int hops) {
  return domain_ == AF_INET ? setopt(socket_.native_handle(), IPPROTO_IP, IP_TTL, hops)
                            : setopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, hops);
}

std::error_code RawSocket::set_multicast_loop(bool on) {
  return domain_ == AF_INET ? setopt(socket_.native_handle(), IPPROTO_IP, IP_MULTICAST_LOOP, on)
                            : setopt(socket_.native_handle(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on);
}

std::error_code RawSocket::set_multicast_interface(int ifindex) {
  const int fd = socket_.native_handle();
  if (domain_ == AF_INET) {
    ip_mreqn m{};
    m.imr_ifindex = ifindex;
    return ::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) == 0 ? std::error_code() : last_error();
  }
  return setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex);
}

void RawSocket::start(Handler handler) {
  handler_ = std::move(handler);
  wait();
}

void RawSocket::close() {
  handler_ = nullptr;
  boost::system::error_code ec;
  socket_.close(ec);
}

void RawSocket::poll() {
  if (handler_ && socket_.is_open()) drain();
}

void RawSocket::wait() {
  socket_.async_wait(asio::socket_base::wait_read, [this](boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
    if (ec) {
      ++receive_errors_;
      spdlog::warn("raw socket: wait failed: {}", ec.message());
      return;
    }
    drain();
    if (handler_) wait();
  });
}

ssize_t receive_message(int fd, std::span<std::byte> buffer, void* from, std::size_t from_size,
                        std::span<char> control, msghdr& msg) {
  iovec iov{buffer.data(), buffer.size()};
  msg = msghdr{};
  msg.msg_name = from;
  msg.msg_namelen = static_cast<socklen_t>(from_size);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control.data();
  msg.msg_controllen = control.size();
  const ssize_t n = ::recvmsg(fd, &msg, MSG_DONTWAIT);
  msg.msg_iov = nullptr;  // `iov` ends here; the data is in `buffer`
  msg.msg_iovlen = 0;
  return n;
}

void RawSocket::drain() {
  // Bounded, so one busy socket cannot starve the rest of the loop.
  for (int i = 0; i < 64 && handler_; ++i) {
    sockaddr_storage from{};
    alignas(cmsghdr) char control[256];
    msghdr msg{};
    ssize_t n = receive_message(socket_.native_handle(), buffer_, &from, sizeof from, control, msg);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        ++receive_errors_;
        spdlog::warn("raw socket: receive failed: {}", std::strerror(errno));
      }
      return;
    }
    RawPacket p;
    p.data = std::span<const std::byte>(buffer_.data(), static_cast<std::size_t>(n));
    if (domain_ == AF_PACKET) {
      const auto* sll = reinterpret_cast<const sockaddr_ll*>(&from);
      p.ifindex = sll->sll_ifindex;
      p.ethertype = ntohs(sll->sll_protocol);
      p.outgoing = sll->sll_pkttype == PACKET_OUTGOING;
      if (sll->sll_halen == 6) {
        std::array<std::uint8_t, 6> mac{};
        std::memcpy(mac.data(), sll->sll_addr, 6);
        p.source_mac = MacAddress(mac);
      }
    } else if (domain_ == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(&from);
      std::array<std::uint8_t, 4> b{};
      std::memcpy(b.data(), &sin->sin_addr, 4);
      p.source = Ipv4Address::from_bytes(b);
      if (n >= 20) p.hop_limit = static_cast<int>(std::to_integer<std::uint8_t>(buffer_[8]));
    } else {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&from);
      std::array<std::uint8_t, 16> b{};
      std::memcpy(b.data(), &sin6->sin6_addr, 16);
      p.source = Ipv6Address(b);
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        p.ifindex = info.ipi_ifindex;
        std::array<std::uint8_t, 4> b{};
        std::memcpy(b.data(), &info.ipi_addr, 4);
        p.destination = Ipv4Address::from_bytes(b);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
        in6_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(c), sizeof info);
        p.ifindex = static_cast<int>(info.ipi6_ifindex);
        std::array<std::uint8_t, 16> b{};
        std::memcpy(b.data(), &info.ipi6_addr, 16);
        p.destination = Ipv6Address(b);
      } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
        int hops = 0;
        std::memcpy(&hops, CMSG_DATA(c), sizeof hops);
        p.hop_limit = hops;
      }
    }
    // A copy: the handler may close() this socket, which drops handler_.
    auto handler = handler_;
    handler(p);
  }
  // More may be queued; the next wait fires at once if so.
}

std::error_code RawSocket::send_to(std::span<const std::byte> payload, const IpAddress& destination, int ifindex,
                                   const std::optional<IpAddress>& source) {
  if (source && source->is_v4() != destination.is_v4()) return std::make_error_code(std::errc::address_family_not_supported);
  sockaddr_storage to{};
  socklen_t to_len = 0;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
  msghdr msg{};
  const bool pktinfo = ifindex != 0 || source.has_value();
  if (destination.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&to);
    sin->sin_family = AF_INET;
    auto b = destination.v4().bytes();
    std::memcpy(&sin->sin_addr, b.data(), 4);
    to_len = sizeof(sockaddr_in);
    if (pktinfo) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(in_pktinfo));
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
      in_pktinfo info{};
      info.ipi_ifindex = ifindex;
      // ip(7): ipi_spec_dst is the source address the route lookup uses.
      if (source) std::memcpy(&info.ipi_spec_dst, source->v4().bytes().data(), 4);
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, destination.v6().bytes().data(), 16);
    sin6->sin6_scope_id = static_cast<unsigned>(ifindex);
    to_len = sizeof(sockaddr_in6);
    if (pktinfo) {
      msg.msg_control = control;
      msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
      in6_pktinfo info{};
      info.ipi6_ifindex = static_cast<unsigned>(ifindex);
      // ipv6(7) / RFC 3542 §6.1: ipi6_addr is the source address.
      if (source) std::memcpy(&info.ipi6_addr, source->v6().bytes().data(), 16);
      std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
  }
  iovec iov{const_cast<std::byte*>(payload.data()), payload.size()};
  msg.msg_name = &to;
  msg.msg_namelen = to_len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) return last_error();
  return {};
}

std::error_code RawSocket::send_frame(std::span<const std::byte> payload, const MacAddress& destination) {
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ethertype_);
  to.sll_ifindex = ifindex_;
  to.sll_halen = 6;
  std::memcpy(to.sll_addr, destination.bytes().data(), 6);
  if (::sendto(socket_.native_handle(), payload.data(), payload.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
               reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
    return last_error();
  }
  return {};
}

}  // namespace pairgate
