// conf/shared_b4: which VRRP instance owns a tunnel's local address.
#include "conf/shared_b4.h"

#include <gtest/gtest.h>

namespace pairgate::conf {
namespace {

class SharedB4Test : public ::testing::Test {
 protected:
  SharedB4Test() {
    t.name = "ip6tnl1";
    t.wan_interface = "eth0";
    t.local = *Ipv6Address::parse("2001:db8:1::b4");
    VrrpInstance wan;
    wan.name = "VRRP1";
    wan.interface = "eth0";
    wan.virtual_addresses = {*IpPrefix::parse("192.0.2.2/24")};
    VrrpInstance lan;
    lan.name = "VRRP2";
    lan.interface = "eth1";
    lan.virtual_addresses = {*IpPrefix::parse("198.51.100.1/24")};
    c.vrrp = Vrrp{{wan, lan}, {}};
  }
  VrrpInstance& instance(int i) { return c.vrrp->instances[static_cast<std::size_t>(i)]; }
  Config c;
  Tunnel t;
};

TEST_F(SharedB4Test, AnExcludedAddressOnTheWanSharesTheTunnel) {
  instance(0).excluded_addresses = {*IpPrefix::parse("2001:db8:1::b4/64")};
  auto s = shared_b4(c, t);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->instance, "VRRP1");
  EXPECT_EQ(s->list, "excluded_addresses");
  EXPECT_EQ(describe(t, *s),
            "tunnel ip6tnl1: local 2001:db8:1::b4 is a shared B4 address, held by VRRP instance VRRP1 "
            "(excluded_addresses on eth0) while it is MASTER");
  EXPECT_FALSE(shared_b4_elsewhere(c, t));
}

TEST_F(SharedB4Test, AVirtualAddressOfAVersion3InstanceSharesTheTunnel) {
  instance(0).version = 3;
  instance(0).virtual_addresses = {*IpPrefix::parse("2001:db8:1::b4/64")};
  auto s = shared_b4(c, t);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->list, "virtual_addresses");
}

TEST_F(SharedB4Test, NoPairingForAnAutomaticLocalOrAnAddressNobodyCarries) {
  EXPECT_FALSE(shared_b4(c, t));
  instance(0).excluded_addresses = {*IpPrefix::parse("2001:db8:1::b4/64")};
  t.local.reset();
  EXPECT_FALSE(shared_b4(c, t));
}

TEST_F(SharedB4Test, AnInstanceOnAnotherInterfaceIsNamedAsElsewhere) {
  instance(1).excluded_addresses = {*IpPrefix::parse("2001:db8:1::b4/64")};
  EXPECT_FALSE(shared_b4(c, t));
  EXPECT_EQ(shared_b4_elsewhere(c, t), "VRRP2");
}

}  // namespace
}  // namespace pairgate::conf
