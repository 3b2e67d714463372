// tunnel/service: what it learns from the netlink events it subscribes to.
#include "tunnel/service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/byte_io.h"
#include "tests/mocks/mock_netlink.h"
#include "tests/support/module_context.h"

namespace pairgate::tunnel {
namespace {

using ::testing::NiceMock;
using ::testing::Return;

constexpr int kWan = 2;

// A router advertisement's options: one RDNSS option (RFC 8106 §5.1) with
// one server 2001:db8:53::N and a lifetime of an hour.
NdUserOptionEvent advert(unsigned n) {
  ByteWriter w;
  w.u8(25);
  w.u8(3);
  w.u16(0);
  w.u32(3600);
  const Ipv6Address server = *Ipv6Address::parse("2001:db8:53::" + std::to_string(n));
  for (auto b : server.bytes()) w.u8(b);
  NdUserOptionEvent e;
  e.ifindex = kWan;
  e.icmp_type = 134;
  e.options = w.take();
  return e;
}

// An on-link host flooding router advertisements, each with another DNS
// server, cannot grow the list without bound.
TEST(TunnelService, RdnssServersFromAFloodOfAdvertsAreCapped) {
  boost::asio::io_context io;
  NiceMock<testing::MockNetlink> nl;
  ON_CALL(nl, link(std::string_view("wan0"))).WillByDefault(Return(LinkInfo{kWan, "wan0", true, true, {}, 1500, "veth"}));
  conf::Config config;
  config.node = "b4";
  conf::Tunnel t;
  t.name = "ip6tnl1";
  t.wan_interface = "wan0";
  t.aftr_name = "gw.example.jp";
  config.tunnels.push_back(t);
  testing::Registries registries;
  Service s(registries.context(io, nl));
  s.start(config);
  for (unsigned n = 1; n <= 1000; ++n) nl.emit_nd_user_option(advert(n));
  nlohmann::json j;
  s.status(j);
  const auto& rdnss = j["tunnels"][0]["aftr"]["rdnss"];
  ASSERT_EQ(rdnss["servers"].size(), RdnssTable::kPerInterface);
  EXPECT_EQ(rdnss["servers"][0], "2001:db8:53::1000") << "the newest first";
  EXPECT_EQ(rdnss["dropped"], 1000 - RdnssTable::kPerInterface);
  s.stop([] {});
}

}  // namespace
}  // namespace pairgate::tunnel
