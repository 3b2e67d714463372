// tunnel/tunnel_ipip: type ipip's local end from interface_id against the
// gmock netlink: the address pairgate adds to the WAN, moved by renumbering
// and removed on stop; and the update URL's helpers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <linux/if_addr.h>

#include <nlohmann/json.hpp>

#include "tests/mocks/mock_netlink.h"
#include "tests/support/manual_clock.h"
#include "tunnel/ipip_update.h"
#include "tunnel/tunnel.h"

namespace pairgate::tunnel {
namespace {

using namespace std::chrono_literals;
using ::testing::_;
using ::testing::AnyNumber;
using ::testing::Field;
using ::testing::NiceMock;
using ::testing::Return;

constexpr int kWan = 2;
constexpr int kLink = 9;

AddressInfo v6(const char* a, unsigned len, std::uint32_t flags) {
  return {kWan, IpPrefix(*IpAddress::parse(a), len), flags, 0, ""};
}

class IpipTunnelTest : public ::testing::Test {
 protected:
  IpipTunnelTest() {
    config.name = "ipip0";
    config.type = "ipip";
    config.wan_interface = "wan0";
    config.aftr_addresses = {*Ipv6Address::parse("2001:db8:ff::1")};
    config.ipv4_address = IpPrefix::parse("203.0.113.10/32");
    config.ipip.emplace();
    config.ipip->block = *IpPrefix::parse("203.0.113.10/32");
    config.ipip->interface_id = Ipv6Address::parse("::feed");
    config.health.targets = {*Ipv4Address::parse("198.51.100.1")};
    LinkInfo wan{kWan, "wan0", true, true, {}, 1500, "veth"};
    ON_CALL(nl, link(std::string_view("wan0"))).WillByDefault(Return(wan));
    ON_CALL(nl, link(kWan)).WillByDefault(Return(wan));
    addresses = {v6("2001:db8:1:1::1", 64, IFA_F_PERMANENT)};
    ON_CALL(nl, addresses(std::optional<int>(kWan), std::optional<Family>(Family::ipv6))).WillByDefault([this] {
      return addresses;
    });
    ON_CALL(nl, ip6_tunnel(std::string_view("ipip0"))).WillByDefault([this] { return link; });
    ON_CALL(nl, add_ip6_tunnel(_)).WillByDefault([this](const Ip6TunnelParams& p) {
      link = p;
      link->index = kLink;
      return std::error_code();
    });
    ON_CALL(nl, change_ip6_tunnel(kLink, _)).WillByDefault([this](int, const Ip6TunnelParams& p) {
      link = p;
      link->index = kLink;
      return std::error_code();
    });
    allow_link_address();
    hooks.send_probe = [](const IpAddress&, std::uint16_t, std::uint16_t, int) {};
    hooks.publish = [](const std::string&, State, const std::string&) {};
  }

  // 203.0.113.10 on the link: not what these tests are about.
  void allow_link_address() { EXPECT_CALL(nl, add_address(kLink, _, _)).Times(AnyNumber()); }

  boost::asio::io_context io;
  testing::ManualClock timers;
  NiceMock<testing::MockNetlink> nl;
  conf::Tunnel config;
  std::vector<AddressInfo> addresses;
  std::optional<Ip6TunnelParams> link;
  TunnelHooks hooks;
};

TEST_F(IpipTunnelTest, TheLocalEndIsTheWansPrefixPlusTheInterfaceIdAddedToTheWan) {
  const auto feed1 = *IpPrefix::parse("2001:db8:1:1::feed/128");
  EXPECT_CALL(nl, add_address(kWan, feed1, _)).WillOnce(Return(std::error_code()));
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  ASSERT_TRUE(link);
  EXPECT_EQ(link->local, *Ipv6Address::parse("2001:db8:1:1::feed"));
  EXPECT_EQ(link->remote, *Ipv6Address::parse("2001:db8:ff::1"));
  EXPECT_EQ(link->proto, 4);
  nlohmann::json j;
  t.status(j);
  EXPECT_EQ(j["type"], "ipip");
  EXPECT_EQ(j["wan_address_added"], "2001:db8:1:1::feed");
  EXPECT_EQ(j["ipv4_address"], "203.0.113.10/32");
  EXPECT_FALSE(j.contains("update")) << "no update_url";
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  allow_link_address();

  // Renumbering: the new prefix's address comes, the old one goes.
  addresses = {v6("2001:db8:1:1::feed", 128, IFA_F_PERMANENT), v6("2001:db8:1:2::1", 64, IFA_F_PERMANENT)};
  const auto feed2 = *IpPrefix::parse("2001:db8:1:2::feed/128");
  EXPECT_CALL(nl, remove_address(kWan, feed1)).WillOnce(Return(std::error_code()));
  EXPECT_CALL(nl, add_address(kWan, feed2, _)).WillOnce(Return(std::error_code()));
  t.on_address({true, v6("2001:db8:1:1::1", 64, IFA_F_PERMANENT)});
  EXPECT_EQ(link->local, *Ipv6Address::parse("2001:db8:1:2::feed"));
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  allow_link_address();

  // Someone removes it: it is put back.
  addresses = {v6("2001:db8:1:2::1", 64, IFA_F_PERMANENT)};
  EXPECT_CALL(nl, add_address(kWan, feed2, _)).WillOnce(Return(std::error_code()));
  t.on_address({true, v6("2001:db8:1:2::feed", 128, IFA_F_PERMANENT)});
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  allow_link_address();

  EXPECT_CALL(nl, remove_address(kWan, feed2)).WillOnce(Return(std::error_code()));
  t.stop();
}

TEST_F(IpipTunnelTest, AnAddressAlreadyThereIsUsedAndLeftAlone) {
  addresses = {v6("2001:db8:1:1::1", 64, IFA_F_PERMANENT), v6("2001:db8:1:1::feed", 64, IFA_F_PERMANENT)};
  EXPECT_CALL(nl, add_address(kWan, IpPrefix(*IpAddress::parse("2001:db8:1:1::feed"), 128), _)).Times(0);
  EXPECT_CALL(nl, remove_address(kWan, IpPrefix(*IpAddress::parse("2001:db8:1:1::feed"), 128))).Times(0);
  Tunnel t(io, nl, timers, config, 1, hooks);
  t.start();
  ASSERT_TRUE(link);
  EXPECT_EQ(link->local, *Ipv6Address::parse("2001:db8:1:1::feed"));
  t.stop();
}

TEST_F(IpipTunnelTest, AReloadWithoutInterfaceIdRemovesTheAddressItAdded) {
  Tunnel t(io, nl, timers, config, 1, hooks);
  EXPECT_CALL(nl, add_address(kWan, *IpPrefix::parse("2001:db8:1:1::feed/128"), _)).WillOnce(Return(std::error_code()));
  t.start();
  ::testing::Mock::VerifyAndClearExpectations(&nl);
  allow_link_address();
  EXPECT_CALL(nl, remove_address(kWan, *IpPrefix::parse("2001:db8:1:1::feed/128"))).WillOnce(Return(std::error_code()));
  auto c = config;
  c.ipip->interface_id.reset();
  t.reconfigure(c);
  EXPECT_EQ(link->local, *Ipv6Address::parse("2001:db8:1:1::1"));
  nlohmann::json j;
  t.status(j);
  EXPECT_TRUE(j["wan_address_added"].is_null());
}

TEST(IpipUpdateUrl, PlaceholdersAreTheAddresses) {
  EXPECT_EQ(expand_url("https://u.example/x?a={ipv6}&b={ipv4}&c={other}", *Ipv6Address::parse("2001:db8::feed"),
                       Ipv4Address::parse("203.0.113.10")),
            "https://u.example/x?a=2001:db8::feed&b=203.0.113.10&c={other}");
  EXPECT_EQ(expand_url("http://h/{ipv4}", *Ipv6Address::parse("2001:db8::1"), std::nullopt), "http://h/{ipv4}");
}

TEST(IpipUpdateUrl, UserAndPasswordAreNeverShown) {
  EXPECT_EQ(redact_url("https://user:pw@h.example/u?x=1"), "https://***@h.example/u?x=1");
  EXPECT_EQ(redact_url("https://h.example/u?mail=a@b"), "https://h.example/u?mail=a@b");
  EXPECT_EQ(redact_url("http://[2001:db8::1]:8080/"), "http://[2001:db8::1]:8080/");
}

}  // namespace
}  // namespace pairgate::tunnel
