// tunnel/ipip_local: the local end from the WAN's /64 and an interface ID.
#include "tunnel/ipip_local.h"

#include <gtest/gtest.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

namespace pairgate::tunnel {
namespace {

AddressInfo addr(const char* text, std::uint32_t flags = IFA_F_PERMANENT, int ifindex = 2) {
  AddressInfo a;
  a.ifindex = ifindex;
  a.prefix = *IpPrefix::parse(text);
  a.flags = flags;
  a.scope = RT_SCOPE_UNIVERSE;
  return a;
}

const Ipv6Address kIid = *Ipv6Address::parse("::feed");

TEST(IpipLocal, TheWansPrefixWithTheInterfaceId) {
  EXPECT_EQ(iid_local({addr("2001:db8:1:1::1/64")}, 2, kIid), Ipv6Address::parse("2001:db8:1:1::feed"));
  EXPECT_EQ(iid_local({addr("2001:db8:1:1:a:b:c:d/64", 0)}, 2, kIid), Ipv6Address::parse("2001:db8:1:1::feed"));
  EXPECT_EQ(iid_local({addr("2001:db8:1:1::1/64", IFA_F_TENTATIVE), addr("fe80::1/64")}, 2, kIid), std::nullopt);
  EXPECT_EQ(iid_local({addr("2001:db8:1:1::1/64", IFA_F_PERMANENT, 3)}, 2, kIid), std::nullopt);
}

TEST(IpipLocal, ItsOwnAddressIsNoBaseSoRenumberingMovesIt) {
  // pairgate put 2001:db8:1:1::feed there; the old prefix's other address is gone.
  const std::vector<AddressInfo> after = {addr("2001:db8:1:1::feed/128"), addr("2001:db8:1:2::1/64", 0)};
  EXPECT_EQ(iid_local(after, 2, kIid, Ipv6Address::parse("2001:db8:1:1::feed")),
            Ipv6Address::parse("2001:db8:1:2::feed"));
  EXPECT_EQ(iid_local({addr("2001:db8:1:1::feed/128")}, 2, kIid), std::nullopt);
}

TEST(IpipLocal, TheCurrentPrefixIsKeptWhileItIsThere) {
  const std::vector<AddressInfo> both = {addr("2001:db8:1:2::1/64"), addr("2001:db8:1:1::1/64")};
  EXPECT_EQ(iid_local(both, 2, kIid), Ipv6Address::parse("2001:db8:1:1::feed")) << "the lowest without a current one";
  EXPECT_EQ(iid_local(both, 2, kIid, Ipv6Address::parse("2001:db8:1:2::feed")),
            Ipv6Address::parse("2001:db8:1:2::feed"));
}

}  // namespace
}  // namespace pairgate::tunnel
