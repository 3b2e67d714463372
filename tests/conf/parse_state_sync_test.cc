// firewall.state_sync and its bounds: parsing, defaults, printing and the
// cross-checks --check makes (conf/parse_firewall.cc, conf/validate.cc).
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "conf/parser.h"
#include "conf/print.h"

namespace pairgate::conf {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class StateSyncConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_);
    std::ofstream(key_) << "tZ3uY1qYVh1n3Vb7m0C0wq1ZrS3H0kq8m6Vq2vGm3bE=\n";
    ::chmod(key_.c_str(), 0600);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string file(const std::string& firewall, bool peer = true, bool group = true) {
    std::string out = R"(node: beagle
vrrp:
  instances:
    - {name: LAN, interface: eth0, vrid: 1, virtual_addresses: [192.0.2.1/24]}
    - {name: WAN, interface: eth1, vrid: 2, virtual_addresses: [198.51.100.1/24]}
)";
    if (group) out += "  sync_groups:\n    - {name: G, instances: [LAN, WAN]}\n";
    out += "firewall:\n  wan_interfaces: [eth1]\n" + firewall;
    if (peer) out += "peer: {address: 192.0.2.4, key_file: " + key_.string() + "}\n";
    return out;
  }
  static std::string errors(const LoadResult& r) {
    std::string out;
    for (const auto& d : r.errors) out += d.message + "\n";
    return out;
  }
  std::filesystem::path dir_ =
      std::filesystem::temp_directory_path() / ("pairgate-state-sync-test-" + std::to_string(::getpid()));
  std::filesystem::path key_ = dir_ / "peer.key";
};

TEST_F(StateSyncConfig, OffByDefault) {
  auto r = parse(file(""), "t.yaml");
  ASSERT_TRUE(r.config) << r.report();
  EXPECT_FALSE(r.config->firewall->state_sync);
  EXPECT_EQ(r.config->firewall->state_sync_max_entries, 65536u);
  EXPECT_THAT(r.config->firewall->state_sync_instance, IsEmpty());
}

TEST_F(StateSyncConfig, OnWithBounds) {
  auto r = parse(file("  state_sync: true\n  state_sync_max_entries: 1000\n  state_sync_instance: G\n"), "t.yaml");
  ASSERT_TRUE(r.config) << r.report();
  EXPECT_TRUE(r.config->firewall->state_sync);
  EXPECT_EQ(r.config->firewall->state_sync_max_entries, 1000u);
  EXPECT_EQ(r.config->firewall->state_sync_instance, "G");
  // --print shows what was set, and reads back the same.
  const std::string printed = print(*r.config, PrintOptions{});
  EXPECT_THAT(printed, HasSubstr("state_sync: true"));
  EXPECT_THAT(printed, HasSubstr("state_sync_max_entries: 1000"));
  EXPECT_THAT(printed, HasSubstr("state_sync_instance: G"));
}

TEST_F(StateSyncConfig, TheOneSyncGroupIsFollowedWithoutAName) {
  EXPECT_TRUE(parse(file("  state_sync: true\n"), "t.yaml").config);
}

TEST_F(StateSyncConfig, CheckSaysWhatIsMissing) {
  auto no_peer = parse(file("  state_sync: true\n", false), "t.yaml");
  EXPECT_FALSE(no_peer.config);
  EXPECT_THAT(errors(no_peer), HasSubstr("firewall.state_sync needs the peer section"));

  auto two = parse(file("  state_sync: true\n", true, false), "t.yaml");
  EXPECT_FALSE(two.config);
  EXPECT_THAT(errors(two), HasSubstr("firewall.state_sync_instance: name the VRRP instance or sync group"));

  auto unknown = parse(file("  state_sync: true\n  state_sync_instance: V9\n"), "t.yaml");
  EXPECT_FALSE(unknown.config);
  EXPECT_THAT(errors(unknown), HasSubstr("no VRRP instance or sync group named 'V9'"));

  auto zero = parse(file("  state_sync: true\n  state_sync_max_entries: 0\n"), "t.yaml");
  EXPECT_FALSE(zero.config);
  EXPECT_THAT(errors(zero), HasSubstr("state_sync_max_entries"));
}

}  // namespace
}  // namespace pairgate::conf
