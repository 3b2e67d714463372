// core/netlink against a real kernel, inside namespaces made by run_in_netns.sh.
#include <gtest/gtest.h>
#include <linux/if_addr.h>

#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "core/netlink.h"
#include "tests/netns/netns_env.h"

namespace pairgate {
namespace {

using namespace std::chrono_literals;

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    nl_ = make_libnl_netlink(io_);
    auto l = nl_->link(testing::env("PG_IF"));
    ASSERT_TRUE(l.has_value());
    link_ = *l;
  }

  template <class Pred>
  bool run_until(Pred pred) {
    return testing::run_until(io_, pred);
  }

  bool has_address(const IpPrefix& p) {
    for (const auto& a : nl_->addresses(link_.index)) {
      if (a.prefix == p) return true;
    }
    return false;
  }

  boost::asio::io_context io_;
  std::unique_ptr<Netlink> nl_;
  LinkInfo link_;
};

TEST_F(NetlinkTest, FindsLinksByNameAndIndex) {
  EXPECT_GT(link_.index, 0);
  EXPECT_EQ(link_.kind, "veth");
  EXPECT_TRUE(link_.admin_up);
  EXPECT_NE(link_.mac, MacAddress());
  EXPECT_EQ(link_.mtu, 1500u);
  auto by_index = nl_->link(link_.index);
  ASSERT_TRUE(by_index.has_value());
  EXPECT_EQ(by_index->name, link_.name);
  EXPECT_FALSE(nl_->link("nonexistent0").has_value());
  bool lo = false;
  for (const auto& l : nl_->links()) lo = lo || l.name == "lo";
  EXPECT_TRUE(lo);
}

TEST_F(NetlinkTest, AddsAndRemovesAddressesIdempotently) {
  const auto v4 = *IpPrefix::parse("198.51.100.77/24");
  EXPECT_FALSE(nl_->add_address(link_.index, v4));
  EXPECT_FALSE(nl_->add_address(link_.index, v4)) << "adding twice is not an error";
  EXPECT_TRUE(has_address(v4));
  EXPECT_FALSE(nl_->remove_address(link_.index, v4));
  EXPECT_FALSE(has_address(v4));
  EXPECT_FALSE(nl_->remove_address(link_.index, v4)) << "removing a missing address is not an error";

  const auto v6 = *IpPrefix::parse("2001:db8:5::77/64");
  EXPECT_FALSE(nl_->add_address(link_.index, v6, AddressOptions{IFA_F_NODAD, 0, ""}));
  bool nodad = false;
  for (const auto& a : nl_->addresses(link_.index, Family::ipv6)) {
    if (a.prefix == v6) nodad = (a.flags & IFA_F_NODAD) != 0;
  }
  EXPECT_TRUE(nodad);
  EXPECT_FALSE(nl_->remove_address(link_.index, v6));
}

TEST_F(NetlinkTest, ErrorsCarryLibnlMessages) {
  auto ec = nl_->add_address(999999, *IpPrefix::parse("198.51.100.78/24"));
  EXPECT_TRUE(ec);
  EXPECT_EQ(ec.category().name(), std::string("libnl"));
  EXPECT_FALSE(ec.message().empty());
}

TEST_F(NetlinkTest, AddressEventsIncludeChangesMadeBySomebodyElse) {
  std::vector<AddressEvent> events;
  auto id = nl_->subscribe({.on_link = nullptr, .on_address = [&](const AddressEvent& e) { events.push_back(e); }, .on_resync = nullptr});
  const auto p = *IpPrefix::parse("198.51.100.79/24");
  ASSERT_EQ(std::system(("ip addr add 198.51.100.79/24 dev " + link_.name).c_str()), 0);
  auto seen = [&](bool removed) {
    for (const auto& e : events) {
      if (e.address.prefix == p && e.removed == removed && e.address.ifindex == link_.index) return true;
    }
    return false;
  };
  EXPECT_TRUE(run_until([&] { return seen(false); }));
  ASSERT_EQ(std::system(("ip addr del 198.51.100.79/24 dev " + link_.name).c_str()), 0);
  EXPECT_TRUE(run_until([&] { return seen(true); }));
  nl_->unsubscribe(id);
  events.clear();
  ASSERT_EQ(std::system(("ip addr add 198.51.100.79/24 dev " + link_.name).c_str()), 0);
  io_.run_for(100ms);
  EXPECT_TRUE(events.empty()) << "no events after unsubscribe";
  std::system(("ip addr del 198.51.100.79/24 dev " + link_.name).c_str());
}

TEST_F(NetlinkTest, LinkEventsReportAdminAndCarrierState) {
  std::vector<LinkEvent> events;
  nl_->subscribe({.on_link = [&](const LinkEvent& e) { events.push_back(e); }, .on_address = nullptr, .on_resync = nullptr});
  EXPECT_FALSE(nl_->set_link_up(link_.index, false));
  EXPECT_TRUE(run_until([&] {
    return !events.empty() && events.back().link.index == link_.index && !events.back().link.admin_up;
  }));
  EXPECT_FALSE(nl_->link(link_.index)->admin_up);
  EXPECT_FALSE(nl_->set_link_up(link_.index, true));
  EXPECT_TRUE(run_until([&] { return events.back().link.admin_up && events.back().link.oper_up; }));
}

TEST_F(NetlinkTest, AddsReplacesAndRemovesRoutes) {
  RouteInfo r;
  r.destination = *IpPrefix::parse("203.0.113.0/24");
  r.gateway = *IpAddress::parse("198.51.100.6");
  r.oif = link_.index;
  EXPECT_FALSE(nl_->add_route(r));
  EXPECT_TRUE(nl_->add_route(r)) << "an existing route is an error without replace";
  EXPECT_FALSE(nl_->add_route(r, /*replace=*/true));
  auto find = [&]() -> std::optional<RouteInfo> {
    for (const auto& x : nl_->routes(Family::ipv4)) {
      if (x.destination == r.destination) return x;
    }
    return std::nullopt;
  };
  auto found = find();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->gateway, r.gateway);
  EXPECT_EQ(found->oif, link_.index);
  EXPECT_FALSE(nl_->remove_route(r));
  EXPECT_FALSE(find().has_value());

  // A device route for the default, as the tunnel module will install it.
  RouteInfo def;
  def.destination = *IpPrefix::parse("0.0.0.0/0");
  def.oif = link_.index;
  EXPECT_FALSE(nl_->add_route(def, true));
  bool has_default = false;
  for (const auto& x : nl_->routes(Family::ipv4)) has_default = has_default || (x.destination.length() == 0 && x.oif == link_.index);
  EXPECT_TRUE(has_default);
  EXPECT_FALSE(nl_->remove_route(def));
}

// Where the kernel has ip6_tunnel (the guest tests run this binary there
// too): create, read back, correct and remove an ip6tnl link. Where it has
// not (this host), the error says so and nothing is left behind.
TEST_F(NetlinkTest, Ip6TunnelLinksOrAClearErrorWithoutTheModule) {
  Ip6TunnelParams p;
  p.name = "pgtnl0";
  p.link = link_.index;
  p.local = *Ipv6Address::parse("2001:db8:5::5");
  p.remote = *Ipv6Address::parse("2001:db8:5::6");
  p.mtu = 1460;
  auto ec = nl_->add_ip6_tunnel(p);
  if (is_unsupported_kind(ec)) {
    EXPECT_FALSE(nl_->ip6_tunnel("pgtnl0"));
    EXPECT_FALSE(nl_->link("pgtnl0"));
    GTEST_SKIP() << "this kernel has no ip6_tunnel: " << ec.message();
  }
  ASSERT_FALSE(ec) << ec.message();
  auto have = nl_->ip6_tunnel("pgtnl0");
  ASSERT_TRUE(have);
  EXPECT_TRUE(have->same_parameters(p)) << have->local.to_string() << " " << have->remote.to_string() << " proto "
                                        << int(have->proto) << " hop " << int(have->hop_limit) << " mtu " << have->mtu;
  EXPECT_FALSE(have->encap_limit) << "IP6_TNL_F_IGN_ENCAP_LIMIT";
  EXPECT_EQ(nl_->link("pgtnl0")->kind, "ip6tnl");
  EXPECT_FALSE(nl_->link(have->index)->admin_up);
  // The kernel keeps only what it is sent: change everything at once.
  Ip6TunnelParams q = p;
  q.remote = *Ipv6Address::parse("2001:db8:5::7");
  q.encap_limit = 4;
  q.mtu = 1400;
  ASSERT_FALSE(nl_->change_ip6_tunnel(have->index, q));
  auto changed = nl_->ip6_tunnel("pgtnl0");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->index, have->index) << "changed in place, not recreated";
  EXPECT_TRUE(changed->same_parameters(q)) << changed->remote.to_string() << " proto " << int(changed->proto)
                                           << " encap " << int(changed->encap_limit.value_or(255)) << " mtu " << changed->mtu;
  EXPECT_TRUE(nl_->add_ip6_tunnel(p)) << "a second link of that name is refused";
  EXPECT_FALSE(nl_->remove_link(have->index));
  EXPECT_FALSE(nl_->link("pgtnl0"));
  EXPECT_FALSE(nl_->remove_link(have->index)) << "removing what is gone is success";
}

}  // namespace
}  // namespace pairgate
