// dhcp/prober with a double for its raw sockets and zero waits (the timers
// are steady timers that the test runs by polling, never by sleeping).
#include "dhcp/prober.h"

#include <gtest/gtest.h>

#include "core/byte_io.h"

namespace pairgate::dhcp {
namespace {

class FakeNetwork final : public Prober::Network {
 public:
  void listen(Handlers h) override { handlers = std::move(h); }
  std::error_code send_arp_probe(int ifindex, const MacAddress&, Ipv4Address target) override {
    if (fail) return std::make_error_code(std::errc::network_down);
    arp.push_back({ifindex, target});
    return {};
  }
  std::error_code send_echo(Ipv4Address target, std::span<const std::byte> request) override {
    if (throws) throw std::runtime_error("no CAP_NET_RAW");
    echoes.push_back({target, std::vector<std::byte>(request.begin(), request.end())});
    return {};
  }
  void close() override { closed = true; }

  // An echo reply from `from` to the last request (same id and sequence).
  std::vector<std::byte> reply_to_last(Ipv4Address from, std::uint8_t type = 0) const {
    auto icmp = echoes.back().second;
    icmp[0] = std::byte{type};
    icmp[2] = icmp[3] = std::byte{0};
    ByteWriter w;
    w.u8(0x45);
    w.u8(0);
    w.u16(static_cast<std::uint16_t>(20 + icmp.size()));
    w.u32(0);
    w.u8(64);
    w.u8(1);
    w.u16(0);
    w.u32(from.to_uint());
    w.u32(0xc6336402u);
    w.bytes(icmp);
    w.put_u16_at(22, internet_checksum(std::span(w.data()).subspan(20)));
    return w.take();
  }

  Handlers handlers;
  std::vector<std::pair<int, Ipv4Address>> arp;
  std::vector<std::pair<Ipv4Address, std::vector<std::byte>>> echoes;
  bool fail = false, throws = false, closed = false;
};

class ProberTest : public ::testing::Test {
 protected:
  ProberTest() {
    auto n = std::make_unique<FakeNetwork>();
    net = n.get();
    prober = std::make_unique<Prober>(io, [this](std::uint64_t id, bool conflict) { done.emplace_back(id, conflict); },
                                      std::move(n), Prober::Waits{std::chrono::milliseconds(0), std::chrono::milliseconds(0)});
  }
  Probe probe(std::uint64_t id, const char* address, conf::ConflictCheck method) {
    return Probe{id, *Ipv4Address::parse(address), method, "lan0", *Ipv4Address::parse("198.51.100.2")};
  }

  boost::asio::io_context io;
  FakeNetwork* net;
  std::unique_ptr<Prober> prober;
  std::vector<std::pair<std::uint64_t, bool>> done;
  const MacAddress mac = *MacAddress::parse("02:00:00:00:01:02");
};

TEST_F(ProberTest, AnArpFromTheAddressIsAConflict) {
  prober->start(probe(1, "192.0.2.20", conf::ConflictCheck::arp), 2, mac);
  ASSERT_EQ(net->arp.size(), 1u);
  EXPECT_EQ(net->arp[0], (std::pair<int, Ipv4Address>{2, *Ipv4Address::parse("192.0.2.20")}));
  net->handlers.arp(*Ipv4Address::parse("192.0.2.21"));  // someone else: nothing
  EXPECT_TRUE(done.empty());
  net->handlers.arp(*Ipv4Address::parse("192.0.2.20"));
  EXPECT_EQ(done, (std::vector<std::pair<std::uint64_t, bool>>{{1, true}}));
  EXPECT_EQ(prober->pending(), 0u);
  io.poll();  // the cancelled wait reports nothing more
  EXPECT_EQ(done.size(), 1u);
  EXPECT_EQ(prober->sent(), 1u);
}

TEST_F(ProberTest, SilenceUntilTheWaitEndsIsNoConflict) {
  prober->start(probe(1, "192.0.2.20", conf::ConflictCheck::arp), 2, mac);
  EXPECT_TRUE(done.empty());
  io.poll();
  EXPECT_EQ(done, (std::vector<std::pair<std::uint64_t, bool>>{{1, false}}));
}

TEST_F(ProberTest, AnEchoReplyWithOurIdIsAConflict) {
  prober->start(probe(4, "203.0.113.50", conf::ConflictCheck::icmp), 0, mac);
  ASSERT_EQ(net->echoes.size(), 1u);
  const auto from = *Ipv4Address::parse("203.0.113.50");
  // An ARP does not answer an ICMP probe, nor does another ICMP type; a
  // damaged reply is counted.
  net->handlers.arp(from);
  net->handlers.icmp(net->reply_to_last(from, 3));
  auto damaged = net->reply_to_last(from);
  damaged.back() ^= std::byte{1};
  net->handlers.icmp(damaged);
  EXPECT_TRUE(done.empty());
  EXPECT_EQ(prober->malformed(), 1u);
  net->handlers.icmp(net->reply_to_last(from));
  EXPECT_EQ(done, (std::vector<std::pair<std::uint64_t, bool>>{{4, true}}));
}

TEST_F(ProberTest, AProbeThatCannotBeSentIsNoConflictAndCounted) {
  net->fail = true;
  prober->start(probe(1, "192.0.2.20", conf::ConflictCheck::arp), 2, mac);
  net->throws = true;
  prober->start(probe(2, "203.0.113.50", conf::ConflictCheck::icmp), 0, mac);
  EXPECT_EQ(done, (std::vector<std::pair<std::uint64_t, bool>>{{1, false}, {2, false}}));
  EXPECT_EQ(prober->failed(), 2u);
  EXPECT_EQ(prober->sent(), 0u);
}

TEST_F(ProberTest, ASecondProbeOfTheSameAddressAnswersForTheNewClient) {
  prober->start(probe(1, "192.0.2.20", conf::ConflictCheck::arp), 2, mac);
  prober->start(probe(2, "192.0.2.20", conf::ConflictCheck::arp), 2, mac);
  EXPECT_EQ(net->arp.size(), 1u);
  io.poll();
  EXPECT_EQ(done, (std::vector<std::pair<std::uint64_t, bool>>{{2, false}}));
  prober->close();
  EXPECT_TRUE(net->closed);
}

}  // namespace
}  // namespace pairgate::dhcp
