#include "dhcp/prober.h"

#include <net/ethernet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "core/arp.h"

namespace pairgate::dhcp {

namespace {

// The daemon's Network: an AF_PACKET ARP socket per interface and one raw
// ICMP socket, each opened when first needed.
class RawNetwork final : public Prober::Network {
 public:
  explicit RawNetwork(boost::asio::io_context& io) : io_(io) {}
  ~RawNetwork() override { close(); }

  void listen(Handlers handlers) override { handlers_ = std::move(handlers); }

  std::error_code send_arp_probe(int ifindex, const MacAddress& mac, Ipv4Address target) override {
    static const MacAddress broadcast({0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
    auto& s = arp_[ifindex];
    if (!s) {
      s = std::make_unique<RawSocket>(RawSocket::packet(io_, ifindex, ETH_P_ARP));
      s->start([this](const RawPacket& p) {
        if (p.outgoing || !handlers_.arp) return;
        if (auto m = arp::parse(p.data); m && m->sender_ip != Ipv4Address{}) handlers_.arp(m->sender_ip);
      });
    }
    return s->send_frame(arp::probe(mac, target), broadcast);
  }

  std::error_code send_echo(Ipv4Address target, std::span<const std::byte> request) override {
    if (!icmp_) {
      icmp_ = std::make_unique<RawSocket>(RawSocket::ip(io_, Family::ipv4, IPPROTO_ICMP));
      icmp_->start([this](const RawPacket& p) {
        if (handlers_.icmp) handlers_.icmp(p.data);
      });
    }
    return icmp_->send_to(request, target);
  }

  void close() override {
    for (auto& [i, s] : arp_) s->close();
    arp_.clear();
    if (icmp_) icmp_->close();
    icmp_.reset();
  }

 private:
  boost::asio::io_context& io_;
  Handlers handlers_;
  std::map<int, std::unique_ptr<RawSocket>> arp_;
  std::unique_ptr<RawSocket> icmp_;
};

}  // namespace

std::unique_ptr<Prober::Network> Prober::raw_network(boost::asio::io_context& io) {
  return std::make_unique<RawNetwork>(io);
}

Prober::Prober(boost::asio::io_context& io, Done done) : Prober(io, std::move(done), raw_network(io), Waits{}) {}

Prober::Prober(boost::asio::io_context& io, Done done, std::unique_ptr<Network> network, Waits waits)
    : io_(io),
      done_(std::move(done)),
      network_(std::move(network)),
      waits_(waits),
      echo_id_(static_cast<std::uint16_t>(::getpid())) {
  network_->listen({[this](Ipv4Address from) { answer(from, conf::ConflictCheck::arp); },
                    [this](std::span<const std::byte> packet) { icmp(packet); }});
}

Prober::~Prober() { close(); }

void Prober::close() {
  for (auto& [a, p] : pending_) p.timer->cancel();
  pending_.clear();
  network_->close();
}

void Prober::icmp(std::span<const std::byte> packet) {
  auto reply = parse_echo_reply(Family::ipv4, packet);
  if (!reply) {
    // Raw ICMP sockets see every ICMP message of the host: only what cannot
    // be read counts.
    if (reply.error() != EchoError::not_echo_reply && reply.error() != EchoError::not_icmp) ++malformed_;
    return;
  }
  if (reply->id == echo_id_) answer(reply->source, conf::ConflictCheck::icmp);
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
      ec = network_->send_echo(probe.address, echo_request(Family::ipv4, echo_id_, ++echo_seq_));
    } else {
      ec = network_->send_arp_probe(ifindex, mac, probe.address);
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
  timer->expires_after(probe.method == conf::ConflictCheck::icmp ? waits_.echo : waits_.arp);
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
