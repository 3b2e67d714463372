#include "tunnel/local_address.h"

#include <gtest/gtest.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>

namespace pairgate::tunnel {
namespace {

AddressInfo v6(const char* a, std::uint32_t flags, unsigned scope = RT_SCOPE_UNIVERSE, int ifindex = 2) {
  return {ifindex, IpPrefix(*IpAddress::parse(a), 64), flags, scope, ""};
}

std::string pick(const std::vector<AddressInfo>& list, std::optional<const char*> current = std::nullopt) {
  std::optional<Ipv6Address> cur;
  if (current) cur = Ipv6Address::parse(*current);
  auto r = choose_local(list, 2, cur);
  return r ? r->to_string() : "none";
}

// The seed's `ip a` shows the SLAAC template as "dynamic mngtmpaddr
// noprefixroute" beside a temporary address and the link-local one.
TEST(LocalAddress, TakesTheSlaacTemplateAsTheSeedDid) {
  std::vector<AddressInfo> list = {
      v6("2001:db8:1::1234", IFA_F_TEMPORARY),
      v6("2001:db8:1::5054:ff:fe12:3456", IFA_F_MANAGETEMPADDR | IFA_F_NOPREFIXROUTE),
      v6("2001:db8:1::1", IFA_F_PERMANENT),
      v6("fe80::5054:ff:fe12:3456", IFA_F_PERMANENT, RT_SCOPE_LINK),
  };
  EXPECT_EQ(pick(list), "2001:db8:1:0:5054:ff:fe12:3456");
}

TEST(LocalAddress, UnusableFlagsAreSkipped) {
  for (std::uint32_t bad : {IFA_F_TEMPORARY, IFA_F_TENTATIVE, IFA_F_OPTIMISTIC, IFA_F_DEPRECATED, IFA_F_DADFAILED,
                            IFA_F_TENTATIVE | IFA_F_MANAGETEMPADDR}) {
    EXPECT_EQ(pick({v6("2001:db8:1::9", bad)}), "none") << bad;
  }
  EXPECT_EQ(pick({v6("fe80::1", IFA_F_PERMANENT, RT_SCOPE_LINK)}), "none");
  EXPECT_EQ(pick({v6("2001:db8:1::9", IFA_F_PERMANENT, RT_SCOPE_UNIVERSE, 3)}), "none") << "another interface";
  AddressInfo v4{2, *IpPrefix::parse("192.0.2.3/24"), IFA_F_PERMANENT, RT_SCOPE_UNIVERSE, ""};
  EXPECT_EQ(pick({v4}), "none");
}

TEST(LocalAddress, RanksTemplateThenPermanentThenOthersThenUla) {
  EXPECT_EQ(pick({v6("2001:db8:1::9", 0), v6("2001:db8:1::8", IFA_F_PERMANENT)}), "2001:db8:1::8");
  EXPECT_EQ(pick({v6("2001:db8:1::9", 0)}), "2001:db8:1::9") << "DHCPv6 or SLAAC without privacy";
  EXPECT_EQ(pick({v6("fd00::1", IFA_F_MANAGETEMPADDR), v6("2001:db8:1::9", 0)}), "2001:db8:1::9");
  EXPECT_EQ(pick({v6("fd00::1", IFA_F_MANAGETEMPADDR)}), "fd00::1") << "better than nothing";
  EXPECT_EQ(pick({v6("2001:db8:1::9", IFA_F_PERMANENT), v6("2001:db8:1::2", IFA_F_PERMANENT)}), "2001:db8:1::2");
}

TEST(LocalAddress, KeepsTheCurrentOneAmongEquals) {
  std::vector<AddressInfo> list = {v6("2001:db8:1::2", IFA_F_PERMANENT), v6("2001:db8:1::9", IFA_F_PERMANENT)};
  EXPECT_EQ(pick(list, "2001:db8:1::9"), "2001:db8:1::9");
  EXPECT_EQ(pick({v6("2001:db8:2::1", IFA_F_MANAGETEMPADDR), v6("2001:db8:1::9", IFA_F_PERMANENT)}, "2001:db8:1::9"),
            "2001:db8:2::1")
      << "a better rank wins over the current one";
  // Renumbering: the old prefix is deprecated, the new one arrives.
  EXPECT_EQ(pick({v6("2001:db8:1::9", IFA_F_MANAGETEMPADDR | IFA_F_DEPRECATED),
                  v6("2001:db8:2::9", IFA_F_MANAGETEMPADDR)},
                 "2001:db8:1::9"),
            "2001:db8:2::9");
}

}  // namespace
}  // namespace pairgate::tunnel
