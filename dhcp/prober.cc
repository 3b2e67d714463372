#include "dhcp/prober.h"

#include <net/ethernet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "core/arp.h"
#include "core/byte_io.h"

namespace pairgate::dhcp {

Prober::Prober(boost::asio::io_context& io, Done done)
    : io_(io), done_(std::move(done)), echo_id_(static_cast<std::uint16_t>(::getpid())) {}

Prober::~Prober() { close(); }

void Prober::close() {
  for (auto& [a, p] : pending_) p.timer->cancel();
  pending_.clear();
  for (auto& [i, s] : arp_) s->close();
  arp_.clear();
  if (icmp_) icmp_->close();
  icmp_.reset();
}

RawSocket* Prober::arp_socket(int ifindex) {
  auto& s = arp_[ifindex];
  if (!s) {
    s = std::make_unique<RawSocket>(RawSocket::packet(io_, ifindex, ETH_P_ARP));
    s->start([this](const RawPacket& p) {
      if (p.outgoing) return;
      if (auto m = arp::parse(p.data); m && m->sender_ip != Ipv4Address{}) answer(m->sender_ip, conf::ConflictCheck::arp);
    });
  }
  return s.get();
}

RawSocket* Prober::icmp_socket() {
  if (!icmp_) {
    icmp_ = std::make_unique<RawSocket>(RawSocket::ip(io_, Family::ipv4, IPPROTO_ICMP));
    icmp_->start([this](const RawPacket& p) {
      // IPv4 header first (raw(7)); then an echo reply (type 0) with our id.
      ByteReader r(p.data);
      auto vihl = r.u8();
      if (!vihl || !r.skip((*vihl & 15u) * 4u - 1u)) return;
      auto type = r.u8();
      r.skip(3);
      auto id = r.u16();
      if (type == 0 && id == echo_id_ && p.source && p.source->is_v4()) answer(p.source->v4(), conf::ConflictCheck::icmp);
    });
  }
  return icmp_.get();
}

void Prober::start(const Probe& probe, int ifindex, const MacAddress& mac) {
  if (auto it = pending_.find(probe.address); it != pending_.end()) {
    // The address was probed for a client who went elsewhere: the probe
    // under way answers for the new one.
    it->second.id = probe.id;
    it->second.method = probe.method;
    return;
  }
  std::error_code ec;
  try {
    if (probe.method == conf::ConflictCheck::icmp) {
      ByteWriter w;
      w.u8(8);  // echo request
      w.u8(0);
      w.u16(0);
      w.u16(echo_id_);
      w.u16(++echo_seq_);
      w.u32(0x70616972);  // "pair"
      w.put_u16_at(2, internet_checksum(w.data()));
      ec = icmp_socket()->send_to(w.data(), probe.address);
    } else {
      static const MacAddress broadcast({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
      ec = arp_socket(ifindex)->send_frame(arp::probe(mac, probe.address), broadcast);
    }
  } catch (const std::exception& e) {
    ec = std::make_error_code(std::errc::operation_not_permitted);
    spdlog::warn("dhcp: cannot probe {}: {}", probe.address.to_string(), e.what());
  }
  if (ec) {
    ++failed_;
    done_(probe.id, false);
    return;
  }
  ++sent_;
  auto timer = std::make_unique<boost::asio::steady_timer>(io_);
  timer->expires_after(probe.method == conf::ConflictCheck::icmp ? kEchoWait : kArpWait);
  const Ipv4Address address = probe.address;
  timer->async_wait([this, address](const boost::system::error_code& e) {
    if (!e) finish(address, false);
  });
  pending_[address] = Pending{probe.id, probe.method, std::move(timer)};
}

void Prober::answer(Ipv4Address from, conf::ConflictCheck method) {
  auto it = pending_.find(from);
  if (it != pending_.end() && it->second.method == method) finish(from, true);
}

void Prober::finish(Ipv4Address address, bool conflict) {
  auto it = pending_.find(address);
  if (it == pending_.end()) return;
  const std::uint64_t id = it->second.id;
  it->second.timer->cancel();
  pending_.erase(it);
  done_(id, conflict);
}

}  // namespace pairgate::dhcp
