// core/raw_socket across a veth pair between two namespaces.
#include "core/raw_socket.h"

#include <gtest/gtest.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>

#include <boost/asio/io_context.hpp>
#include <linux/if_addr.h>

#include <thread>

#include "core/netlink.h"
#include "tests/netns/netns_env.h"

namespace pairgate {
namespace {

using namespace std::chrono_literals;

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

class RawSocketTest : public ::testing::Test {
 protected:
  template <class Pred>
  bool run_until(Pred pred) {
    return testing::run_until(io_, pred);
  }
  int here_index() { return static_cast<int>(if_nametoindex(testing::env("PG_IF").c_str())); }

  boost::asio::io_context io_;
};

TEST_F(RawSocketTest, PacketSocketCarriesFramesWithTheSourceMac) {
  constexpr std::uint16_t kEthertype = 0x88b5;  // IEEE local experimental
  std::optional<RawSocket> rx;
  testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
    rx.emplace(RawSocket::packet(io_, static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str())), kEthertype));
  });
  auto tx = RawSocket::packet(io_, here_index(), kEthertype);
  std::vector<std::vector<std::byte>> got;
  std::optional<MacAddress> mac;
  rx->start([&](const RawPacket& p) {
    got.emplace_back(p.data.begin(), p.data.end());
    mac = p.source_mac;
    EXPECT_EQ(p.ethertype, kEthertype);
  });
  const auto payload = bytes({1, 2, 3, 4, 5, 6, 7, 8});
  ASSERT_FALSE(tx.send_frame(payload, MacAddress({0xff, 0xff, 0xff, 0xff, 0xff, 0xff})));
  ASSERT_TRUE(run_until([&] { return !got.empty(); }));
  // Ethernet pads short frames; the payload leads.
  ASSERT_GE(got[0].size(), payload.size());
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), got[0].begin()));
  EXPECT_TRUE(mac.has_value());
}

TEST_F(RawSocketTest, Protocol112MulticastArrivesWithTtlAndInterface) {
  const IpAddress group = *IpAddress::parse("224.0.0.18");
  std::optional<RawSocket> rx;
  int peer_index = 0;
  testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
    peer_index = static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str()));
    rx.emplace(RawSocket::ip(io_, Family::ipv4, 112));
  });
  ASSERT_FALSE(rx->join_multicast(peer_index, group));
  auto tx = RawSocket::ip(io_, Family::ipv4, 112);
  ASSERT_FALSE(tx.set_multicast_interface(here_index()));
  ASSERT_FALSE(tx.set_multicast_hops(255));
  ASSERT_FALSE(tx.set_multicast_loop(false));

  std::optional<RawPacket> seen;
  std::vector<std::byte> data;
  rx->start([&](const RawPacket& p) {
    seen = p;
    data.assign(p.data.begin(), p.data.end());
  });
  const auto advert = bytes({0x21, 7, 100, 1, 0, 1, 0, 0, 198, 51, 100, 1, 0, 0, 0, 0, 0, 0, 0, 0});
  ASSERT_FALSE(tx.send_to(advert, group, here_index()));
  ASSERT_TRUE(run_until([&] { return seen.has_value(); }));
  EXPECT_EQ(seen->hop_limit, 255);
  EXPECT_EQ(seen->ifindex, peer_index);
  EXPECT_EQ(seen->source, IpAddress(*Ipv4Address::parse("198.51.100.5")));
  EXPECT_EQ(seen->destination, group);
  // IPv4 raw reads carry the IP header (20 bytes here) before the payload.
  ASSERT_EQ(data.size(), 20 + advert.size());
  EXPECT_TRUE(std::equal(advert.begin(), advert.end(), data.begin() + 20));
}

// Two IPv4 addresses on the interface, and the kernel's choice of source for
// 224.0.0.18 is not the one we want (a link-scope address goes to the head
// of the list): the source given to send_to (IP_PKTINFO's ipi_spec_dst)
// is the one that leaves.
TEST_F(RawSocketTest, TheSourceAddressCanBePinned) {
  const IpAddress group = *IpAddress::parse("224.0.0.18");
  const IpPrefix other = *IpPrefix::parse("203.0.113.5/24");
  auto netlink = make_libnl_netlink(io_);
  AddressOptions link_scope;
  link_scope.scope = RT_SCOPE_LINK;
  ASSERT_FALSE(netlink->add_address(here_index(), other, link_scope));
  std::optional<RawSocket> rx;
  int peer_index = 0;
  testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
    peer_index = static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str()));
    rx.emplace(RawSocket::ip(io_, Family::ipv4, 112));
  });
  ASSERT_FALSE(rx->join_multicast(peer_index, group));
  std::vector<IpAddress> sources;
  rx->start([&](const RawPacket& p) { sources.push_back(*p.source); });
  auto tx = RawSocket::ip(io_, Family::ipv4, 112);
  ASSERT_FALSE(tx.set_multicast_hops(255));
  const auto payload = bytes({0x21, 7, 100, 1, 0, 1, 0, 0, 198, 51, 100, 1, 0, 0, 0, 0, 0, 0, 0, 0});
  const IpAddress primary = *IpAddress::parse("198.51.100.5");
  ASSERT_FALSE(tx.send_to(payload, group, here_index()));
  ASSERT_TRUE(run_until([&] { return sources.size() == 1; }));
  EXPECT_EQ(sources[0], other.address()) << "the kernel's own choice: the premise of the test";
  ASSERT_FALSE(tx.send_to(payload, group, here_index(), primary));
  ASSERT_TRUE(run_until([&] { return sources.size() == 2; }));
  EXPECT_EQ(sources[1], primary);
  EXPECT_TRUE(tx.send_to(payload, group, here_index(), *IpAddress::parse("192.0.2.77")))
      << "an address that is not ours is refused, not spoofed";
  netlink->remove_address(here_index(), other);
}

TEST_F(RawSocketTest, IcmpEchoGetsAReply) {
  auto icmp = RawSocket::ip(io_, Family::ipv4, IPPROTO_ICMP);
  std::optional<IpAddress> from;
  icmp.start([&](const RawPacket& p) {
    // Type 0 = echo reply, after the 20-byte header.
    if (p.data.size() >= 28 && p.data[20] == std::byte{0}) from = p.source;
  });
  // Echo request, id 0x1234 seq 1, checksum precomputed over these 8 bytes.
  auto echo = bytes({8, 0, 0, 0, 0x12, 0x34, 0, 1});
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i < echo.size(); i += 2) {
    sum += (std::to_integer<std::uint32_t>(echo[i]) << 8) | std::to_integer<std::uint32_t>(echo[i + 1]);
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  echo[2] = static_cast<std::byte>((~sum >> 8) & 0xff);
  echo[3] = static_cast<std::byte>(~sum & 0xff);
  ASSERT_FALSE(icmp.send_to(echo, *IpAddress::parse("198.51.100.6")));
  ASSERT_TRUE(run_until([&] { return from.has_value(); }));
  EXPECT_EQ(*from, *IpAddress::parse("198.51.100.6"));
}

TEST_F(RawSocketTest, Icmpv6EchoReplyCarriesTheHopLimit) {
  auto icmp6 = RawSocket::ip(io_, Family::ipv6, IPPROTO_ICMPV6);
  std::optional<RawPacket> reply;
  icmp6.start([&](const RawPacket& p) {
    // No IP header on IPv6 raw reads; type 129 = echo reply.
    if (!p.data.empty() && p.data[0] == std::byte{129}) reply = p;
  });
  // The kernel fills the ICMPv6 checksum on raw ICMPv6 sockets.
  const auto echo = bytes({128, 0, 0, 0, 0x12, 0x34, 0, 1});
  ASSERT_FALSE(icmp6.send_to(echo, *IpAddress::parse("2001:db8:5::6")));
  ASSERT_TRUE(run_until([&] { return reply.has_value(); }));
  EXPECT_EQ(reply->source, *IpAddress::parse("2001:db8:5::6"));
  EXPECT_EQ(reply->hop_limit, 64);
  EXPECT_EQ(reply->ifindex, here_index());
}

TEST_F(RawSocketTest, SendErrorsAreReturnedNotThrown) {
  auto s = RawSocket::ip(io_, Family::ipv4, 112);
  // No route to a documentation address outside our subnet.
  auto ec = s.send_to(bytes({0}), *IpAddress::parse("192.0.2.200"));
  EXPECT_TRUE(ec);
}

// IPv6, protocol 112 (VRRPv3): to ff02::12 with hop limit 255 from a pinned
// link-local source; the receiver gets the payload with the source, the
// destination and the hop limit. poll() hands over what is queued without
// running the loop.
TEST_F(RawSocketTest, Protocol112OverIpv6AndPoll) {
  const IpAddress group = *IpAddress::parse("ff02::12");
  std::optional<RawSocket> rx;
  int peer_index = 0;
  testing::in_namespace(testing::env("PG_PEER_NS"), [&] {
    peer_index = static_cast<int>(if_nametoindex(testing::env("PG_PEER_IF").c_str()));
    rx.emplace(RawSocket::ip(io_, Family::ipv6, 112));
  });
  ASSERT_FALSE(rx->join_multicast(peer_index, group));
  auto tx = RawSocket::ip(io_, Family::ipv6, 112);
  ASSERT_FALSE(tx.set_multicast_hops(255));
  ASSERT_FALSE(tx.set_multicast_loop(false));
  std::vector<RawPacket> seen;
  rx->start([&](const RawPacket& p) { seen.push_back(p); });
  // The interface's link-local address, once DAD is done.
  auto netlink = make_libnl_netlink(io_);
  std::optional<IpAddress> link_local;
  ASSERT_TRUE(run_until([&] {
    for (const auto& a : netlink->addresses(here_index(), Family::ipv6)) {
      if (a.prefix.address().v6().is_link_local() && !(a.flags & IFA_F_TENTATIVE)) link_local = a.prefix.address();
    }
    return link_local.has_value();
  }));
  const auto advert = bytes({0x31, 7, 100, 0, 0, 10, 0, 0});
  ASSERT_FALSE(tx.send_to(advert, group, here_index(), link_local));
  // Not yet run: poll() reads it now.
  for (int i = 0; i < 100 && seen.empty(); ++i) {
    rx->poll();
    if (seen.empty()) std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].source, link_local);
  EXPECT_EQ(seen[0].destination, group);
  EXPECT_EQ(seen[0].hop_limit, 255);
  EXPECT_EQ(seen[0].ifindex, peer_index);
}

}  // namespace
}  // namespace pairgate
