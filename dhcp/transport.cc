#include "dhcp/transport.h"

#include <arpa/inet.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>

#include "core/byte_io.h"
#include "dhcp/packet.h"

namespace pairgate::dhcp {

namespace {

std::error_code last_error() { return {errno, std::system_category()}; }

void set_option(int fd, int level, int name, const void* value, socklen_t size, const char* what) {
  if (::setsockopt(fd, level, name, value, size) != 0) throw std::system_error(last_error(), what);
}

}  // namespace

std::size_t Transport::send_batch(std::span<const Outgoing> batch, const SendFailed& failed) {
  std::size_t sent = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (auto ec = send(batch[i].payload, batch[i].from, batch[i].to, batch[i].port)) {
      if (failed) failed(i, ec);
    } else {
      ++sent;
    }
  }
  return sent;
}

std::size_t send_all(std::size_t count,
                     const std::function<std::expected<std::size_t, std::error_code>(std::size_t first)>& send_from,
                     const SendFailed& failed) {
  std::size_t sent = 0;
  std::size_t next = 0;
  while (next < count) {
    auto r = send_from(next);
    if (!r) {
      if (r.error() == std::errc::interrupted) continue;
      // sendmmsg reports the error of the first datagram it could not send.
      if (failed) failed(next, r.error());
      ++next;
      continue;
    }
    if (*r == 0) {  // not expected of sendmmsg; never loop on it
      if (failed) failed(next, std::make_error_code(std::errc::no_buffer_space));
      ++next;
      continue;
    }
    const std::size_t took = std::min(*r, count - next);
    sent += took;
    next += took;
  }
  return sent;
}

std::vector<std::byte> ipv4_udp(Ipv4Address from, Ipv4Address to, std::uint16_t sport, std::uint16_t dport,
                                std::span<const std::byte> payload) {
  ByteWriter w;
  const auto udp_length = static_cast<std::uint16_t>(8 + payload.size());
  w.u8(0x45);  // version 4, 20-byte header
  w.u8(0);
  w.u16(static_cast<std::uint16_t>(20 + udp_length));
  w.u16(0);       // identification
  w.u16(0x4000);  // don't fragment
  w.u8(64);       // TTL
  w.u8(IPPROTO_UDP);
  w.u16(0);  // header checksum, below
  w.u32(from.to_uint());
  w.u32(to.to_uint());
  w.put_u16_at(10, internet_checksum(std::span(w.data()).first(20)));
  w.u16(sport);
  w.u16(dport);
  w.u16(udp_length);
  w.u16(0);  // checksum, below
  w.bytes(payload);
  // RFC 768: the checksum covers a pseudo header of addresses, protocol and length.
  std::uint32_t pseudo = (from.to_uint() >> 16) + (from.to_uint() & 0xffff) + (to.to_uint() >> 16) +
                         (to.to_uint() & 0xffff) + IPPROTO_UDP + udp_length;
  std::uint16_t sum = internet_checksum(std::span(w.data()).subspan(20), pseudo);
  w.put_u16_at(26, sum == 0 ? 0xffff : sum);
  return w.take();
}

ServerSocket::ServerSocket(boost::asio::io_context& io, const std::string& interface, int ifindex,
                           ReceivePacer::Limits pacing)
    : interface_(interface),
      ifindex_(ifindex),
      socket_(io),
      pacer_(pacing),
      pace_timer_(io),
      buffer_(std::make_unique_for_overwrite<std::byte[]>(kSlots * kSlotBytes)) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) throw std::system_error(last_error(), "socket");
  try {
    const int one = 1;
    set_option(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one, "SO_REUSEADDR");
    set_option(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof one, "SO_BROADCAST");
    set_option(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one, "IP_PKTINFO");
    set_option(fd, SOL_SOCKET, SO_BINDTODEVICE, interface.c_str(), static_cast<socklen_t>(interface.size()),
               ("SO_BINDTODEVICE " + interface).c_str());
    // Room for a burst (a LAN powering up at once); FORCE works as root.
    const int bytes = 4 << 20;
    if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
    }
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(kServerPort);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::system_error(last_error(), "bind port 67");
  } catch (...) {
    ::close(fd);
    throw;
  }
  socket_.assign(boost::asio::ip::udp::v4(), fd);
  frames_.emplace(RawSocket::packet_sender(io, ifindex, ETH_P_IP));
}

void ServerSocket::start(Handler handler) {
  handler_ = std::move(handler);
  wait();
}

void ServerSocket::close() {
  boost::system::error_code ignored;
  socket_.close(ignored);
  pace_timer_.cancel();
  if (frames_) frames_->close();
  handler_ = nullptr;
}

void ServerSocket::wait() {
  socket_.async_wait(boost::asio::socket_base::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || !handler_) return;  // closed
    resume(drain());
  });
}

void ServerSocket::resume(std::size_t received) {
  if (!handler_) return;
  const auto delay = pacer_.after_drain(std::chrono::steady_clock::now(), received);
  if (delay.count() > 0) {
    paced_wait(delay);
  } else {
    wait();
  }
}

void ServerSocket::paced_wait(std::chrono::microseconds delay) {
  pace_timer_.expires_after(delay);
  pace_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || !handler_) return;  // closed
    resume(drain());
  });
}

std::size_t ServerSocket::drain() {
  // A bounded batch per wakeup keeps other sockets and timers served.
  std::array<mmsghdr, kSlots> msgs;
  std::array<iovec, kSlots> iov;
  std::array<sockaddr_in, kSlots> from;
  struct Control {
    alignas(cmsghdr) char bytes[CMSG_SPACE(sizeof(in_pktinfo))];
  };
  std::array<Control, kSlots> control;
  std::size_t handled = 0;
  for (int round = 0; round < 16 && handler_; ++round) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      iov[i] = {buffer_.get() + i * kSlotBytes, kSlotBytes};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_name = &from[i];
      msgs[i].msg_hdr.msg_namelen = sizeof from[i];
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = control[i].bytes;
      msgs[i].msg_hdr.msg_controllen = sizeof control[i].bytes;
    }
    const int n = ::recvmmsg(socket_.native_handle(), msgs.data(), kSlots, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) ++receive_errors_;
      return handled;
    }
    std::array<Datagram, kSlots> batch;
    for (int i = 0; i < n; ++i) {
      msghdr& msg = msgs[static_cast<std::size_t>(i)].msg_hdr;
      Datagram& d = batch[static_cast<std::size_t>(i)];
      d.data = std::span<const std::byte>(buffer_.get() + static_cast<std::size_t>(i) * kSlotBytes,
                                          msgs[static_cast<std::size_t>(i)].msg_len);
      d.source = Ipv4Address(ntohl(from[static_cast<std::size_t>(i)].sin_addr.s_addr));
      d.source_port = ntohs(from[static_cast<std::size_t>(i)].sin_port);
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
          in_pktinfo info;
          std::memcpy(&info, CMSG_DATA(c), sizeof info);
          d.destination = Ipv4Address(ntohl(info.ipi_addr.s_addr));
        }
      }
    }
    handled += static_cast<std::size_t>(n);
    handler_(std::span<const Datagram>(batch.data(), static_cast<std::size_t>(n)));
    if (static_cast<std::size_t>(n) < kSlots) return handled;
  }
  return handled;
}

std::error_code ServerSocket::send(std::span<const std::byte> payload, Ipv4Address from, Ipv4Address to,
                                   std::uint16_t port) {
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(port);
  dst.sin_addr.s_addr = htonl(to.to_uint());
  iovec iov{const_cast<std::byte*>(payload.data()), payload.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in_pktinfo))] = {};
  msghdr msg{};
  msg.msg_name = &dst;
  msg.msg_namelen = sizeof dst;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (from != Ipv4Address{}) {
    // The source is the server identifier, not whichever address the kernel
    // would pick (it could be a VRRP virtual address).
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
    in_pktinfo info{};
    info.ipi_spec_dst.s_addr = htonl(from.to_uint());
    std::memcpy(CMSG_DATA(c), &info, sizeof info);
  }
  if (::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT) < 0) return last_error();
  return {};
}

std::size_t ServerSocket::send_batch(std::span<const Outgoing> batch, const SendFailed& failed) {
  struct Control {
    alignas(cmsghdr) char bytes[CMSG_SPACE(sizeof(in_pktinfo))];
  };
  std::array<mmsghdr, kSendSlots> msgs;
  std::array<iovec, kSendSlots> iov;
  std::array<sockaddr_in, kSendSlots> dst;
  std::array<Control, kSendSlots> control;
  std::size_t sent = 0;
  for (std::size_t base = 0; base < batch.size(); base += kSendSlots) {
    const std::size_t n = std::min(kSendSlots, batch.size() - base);
    for (std::size_t i = 0; i < n; ++i) {
      const Outgoing& o = batch[base + i];
      dst[i] = {};
      dst[i].sin_family = AF_INET;
      dst[i].sin_port = htons(o.port);
      dst[i].sin_addr.s_addr = htonl(o.to.to_uint());
      iov[i] = {const_cast<std::byte*>(o.payload.data()), o.payload.size()};
      msgs[i] = {};
      msghdr& m = msgs[i].msg_hdr;
      m.msg_name = &dst[i];
      m.msg_namelen = sizeof dst[i];
      m.msg_iov = &iov[i];
      m.msg_iovlen = 1;
      if (o.from != Ipv4Address{}) {
        // The source is the server identifier (as in send()).
        std::memset(control[i].bytes, 0, sizeof control[i].bytes);
        m.msg_control = control[i].bytes;
        m.msg_controllen = sizeof control[i].bytes;
        cmsghdr* c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = IPPROTO_IP;
        c->cmsg_type = IP_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
        in_pktinfo info{};
        info.ipi_spec_dst.s_addr = htonl(o.from.to_uint());
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
      }
    }
    sent += send_all(
        n,
        [&](std::size_t first) -> std::expected<std::size_t, std::error_code> {
          const int r = ::sendmmsg(socket_.native_handle(), msgs.data() + first, static_cast<unsigned>(n - first),
                                   MSG_DONTWAIT);
          if (r < 0) return std::unexpected(last_error());
          return static_cast<std::size_t>(r);
        },
        [&](std::size_t i, std::error_code ec) {
          if (failed) failed(base + i, ec);
        });
  }
  return sent;
}

std::error_code ServerSocket::send_to_hardware(std::span<const std::byte> payload, Ipv4Address from, Ipv4Address to,
                                               const MacAddress& mac) {
  if (!frames_) return std::make_error_code(std::errc::not_connected);
  auto frame = ipv4_udp(from, to, kServerPort, kClientPort, payload);
  return frames_->send_frame(frame, mac);
}

}  // namespace pairgate::dhcp
