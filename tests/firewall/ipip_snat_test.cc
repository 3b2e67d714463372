// firewall/ipip_snat: type ipip's SNAT chain, against a golden file and per mode.
#include "firewall/ipip_snat.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "conf/parser.h"
#include "firewall/render.h"

namespace pairgate::firewall {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

conf::Config ipip(std::string_view address, std::string_view snat) {
  std::string text = R"(node: ce
tunnels:
  - name: ipip0
    type: ipip
    wan_interface: eth0
    remote: 2001:db8:ff::1
    ipv4_address: )" + std::string(address) + "\n    snat: " + std::string(snat) + "\nfirewall:\n  wan_interfaces: [eth0]\n";
  auto r = conf::parse(text, "test.yaml");
  EXPECT_TRUE(r.config.has_value()) << r.report();
  return r.config.value_or(conf::Config{});
}

TEST(IpipSnat, TheTableAgainstItsGoldenFile) {
  const std::string got = render_table(ipip("203.0.113.10", "auto"));
  const std::string path = std::string(PAIRGATE_SOURCE_DIR) + "/tests/firewall/golden/ipip.nft";
  if (std::getenv("PAIRGATE_UPDATE_GOLDEN") != nullptr) std::ofstream(path) << got;
  std::ifstream in(path);
  std::stringstream want;
  want << in.rdbuf();
  EXPECT_EQ(got, want.str()) << "golden file " << path;
}

TEST(IpipSnat, AutoLeavesSourcesInTheRoutedBlockAlone) {
  EXPECT_EQ(render_ipip_snat(ipip("203.0.113.9/29", "auto")),
            "\n\tchain ipip_snat {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
            "\t\toifname \"ipip0\" meta nfproto ipv4 ip saddr != 203.0.113.8/29 counter snat ip to 203.0.113.9 "
            "comment \"ipip0: the fixed IPv4 address\"\n\t}\n");
}

TEST(IpipSnat, TrueTranslatesEverySourceAndFalseNone) {
  EXPECT_THAT(render_ipip_snat(ipip("203.0.113.9/29", "true")),
              HasSubstr("oifname \"ipip0\" meta nfproto ipv4 counter snat ip to 203.0.113.9"));
  EXPECT_EQ(render_ipip_snat(ipip("203.0.113.10", "false")), "");
  EXPECT_THAT(render_table(ipip("203.0.113.10", "false")), Not(HasSubstr("snat")));
}

}  // namespace
}  // namespace pairgate::firewall
