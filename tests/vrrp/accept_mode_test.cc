// vrrp/accept_mode: the nftables text for instances with accept_mode false.
#include "vrrp/accept_mode.h"

#include <gtest/gtest.h>

namespace pairgate::vrrp {
namespace {

TEST(AcceptMode, NothingToDropIsNoTable) { EXPECT_EQ(render_accept_script({}), ""); }

TEST(AcceptMode, DropsInputToTheVirtualAddressesButNotNeighbourDiscovery) {
  const std::vector<NoAccept> entries{
      {"V4", {*IpAddress::parse("192.0.2.2"), *IpAddress::parse("192.0.2.20")}},
      {"V6", {*IpAddress::parse("fe80::200:5eff:fe00:201"), *IpAddress::parse("2001:db8::2")}}};
  EXPECT_EQ(render_accept_script(entries),
            "table inet pairgate_vrrp\n"
            "delete table inet pairgate_vrrp\n"
            "table inet pairgate_vrrp {\n"
            "\tchain input {\n"
            "\t\ttype filter hook input priority filter - 10; policy accept;\n"
            "\t\tip daddr { 192.0.2.2, 192.0.2.20 } counter drop comment \"V4: accept_mode false (RFC 5798 6.4.3)\"\n"
            "\t\tip6 daddr { fe80::200:5eff:fe00:201, 2001:db8::2 } meta l4proto != ipv6-icmp counter drop comment "
            "\"V6: accept_mode false (RFC 5798 6.4.3)\"\n"
            "\t\tip6 daddr { fe80::200:5eff:fe00:201, 2001:db8::2 } icmpv6 type != { nd-neighbor-solicit, "
            "nd-neighbor-advert } counter drop comment \"V6: accept_mode false (RFC 5798 6.4.3)\"\n"
            "\t}\n}\n");
  EXPECT_EQ(render_accept_delete(), "table inet pairgate_vrrp\ndelete table inet pairgate_vrrp\n");
}

}  // namespace
}  // namespace pairgate::vrrp
