// import/sysctl.cc and import/netplan.cc.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "import/netplan.h"
#include "import/sysctl.h"
#include "tests/import/support.h"

namespace pairgate::import {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Sysctl, ForwardingKeysAreCarriedOverAndTheRestLeftToSystemd) {
  auto p = import_sysctl("# Uncomment the next line to enable packet forwarding for IPv4\nnet.ipv4.ip_forward=1\n"
                         "net/ipv6/conf/all/forwarding = 1\n; comment\nkernel.sysrq = 0\n"
                         "net.ipv4.conf.eth0.forwarding=1\n-net.ipv4.ip_forward = 0\n"
                         "net.ipv4.conf.*.rp_filter = 2\nnonsense\n",
                         "sysctl.conf");
  ASSERT_EQ(p.config.sysctl.size(), 3u);
  EXPECT_EQ(p.config.sysctl[0].key, "net.ipv6.conf.all.forwarding");
  EXPECT_EQ(p.config.sysctl[1].key, "net.ipv4.conf.eth0.forwarding");
  EXPECT_EQ(p.config.sysctl[2].key, "net.ipv4.ip_forward");  // the later line wins
  EXPECT_EQ(p.config.sysctl[2].value, "0");
  EXPECT_THAT(p.warnings, HasWarning("sysctl.conf:5: warning: kernel.sysrq", "left to systemd-sysctl"));
  EXPECT_THAT(p.warnings, HasWarning("sysctl.conf:8: warning: net.ipv4.conf.*.rp_filter", "a pattern"));
  EXPECT_THAT(p.warnings, HasWarning("sysctl.conf:9: warning: ", "not KEY = VALUE"));
}

TEST(Netplan, TheSeedsFile) {
  auto p = import_netplan(R"(network:
  version: 2
  renderer: networkd
  ethernets:
    enp3s0:
      dhcp4: no
      addresses: [192.168.1.3/24]
      gateway4: 192.168.1.1
    enp4s0:
      addresses:
        - 192.168.2.2/24
        - "2001:db8::2/64": {lifetime: 0}
    nic9:
      match: {macaddress: "52:54:00:00:00:09"}
      set-name: lan9
      addresses: [198.51.100.9/24]
  vlans:
    vlan10: {id: 10, link: enp4s0, addresses: [198.51.100.200/25]}
)", "01.yaml");
  EXPECT_THAT(lines_of(p.warnings), IsEmpty());
  EXPECT_THAT(p.interface_addresses["enp3s0"], ElementsAre(*IpPrefix::parse("192.168.1.3/24")));
  EXPECT_THAT(p.interface_addresses["enp4s0"],
              ElementsAre(*IpPrefix::parse("192.168.2.2/24"), *IpPrefix::parse("2001:db8::2/64")));
  EXPECT_THAT(p.interface_addresses["lan9"], ElementsAre(*IpPrefix::parse("198.51.100.9/24")));
  EXPECT_THAT(p.interface_addresses["vlan10"], ElementsAre(*IpPrefix::parse("198.51.100.200/25")));
}

TEST(Netplan, BrokenFilesGiveTheirLine) {
  // The seed document shows its netplan files indented with tabs, which YAML refuses.
  auto tabs = import_netplan("network:\n  ethernets:\n    enp3s0:\n\taddresses: [192.168.1.3/24]\n", "01.yaml");
  EXPECT_THAT(tabs.warnings, HasWarning("01.yaml:4: warning: YAML", "not read"));
  auto bad = import_netplan("network:\n  ethernets:\n    e0:\n      addresses: [192.168.1.300/24]\n", "01.yaml");
  EXPECT_THAT(bad.warnings, HasWarning("01.yaml:4: warning: e0", "not an address"));
  auto none = import_netplan("[1, 2]\n", "01.yaml");
  EXPECT_THAT(none.warnings, HasWarning("01.yaml:1: warning: ", "no 'network'"));
  auto weird = import_netplan("network:\n  ethernets:\n    e0:\n      addresses: {a: b}\n", "01.yaml");
  EXPECT_FALSE(weird.usable);
}

}  // namespace
}  // namespace pairgate::import
