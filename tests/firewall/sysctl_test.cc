#include "firewall/sysctl.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "conf/diff.h"
#include "tests/mocks/mock_netlink.h"
#include "tests/support/module_context.h"

namespace pairgate::firewall {
namespace {

class SysctlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() / ("pairgate-sysctl-" + std::to_string(::getpid()));
    std::filesystem::create_directories(root_ / "net/ipv4");
    std::ofstream(root_ / "net/ipv4/ip_forward") << "0\n";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::string value() {
    std::ifstream in(root_ / "net/ipv4/ip_forward");
    std::string v;
    in >> v;
    return v;
  }
  static conf::Config with(std::vector<conf::SysctlEntry> entries) {
    conf::Config c;
    c.node = "n";
    c.sysctl = std::move(entries);
    return c;
  }

  boost::asio::io_context io_;
  testing::MockNetlink netlink_;
  testing::Registries registries_;
  std::filesystem::path root_;
};

TEST_F(SysctlTest, WritesAndRemembersThePreviousValue) {
  SysctlService s(registries_.context(io_, netlink_), root_.string());
  auto c = with({{"net.ipv4.ip_forward", "1", {}}});
  s.start(c);
  EXPECT_EQ(value(), "1");
  ASSERT_EQ(s.entries().size(), 1u);
  EXPECT_EQ(s.entries()[0].previous, "0");
  EXPECT_TRUE(s.entries()[0].error.empty());
  // A reload keeps what the kernel had before pairgate.
  auto c2 = with({{"net.ipv4.ip_forward", "2", {}}});
  s.reload(c2, conf::diff(c, c2));
  EXPECT_EQ(value(), "2");
  EXPECT_EQ(s.entries()[0].previous, "0");
  nlohmann::json j;
  s.status(j);
  EXPECT_EQ(j["sysctl"][0]["key"], "net.ipv4.ip_forward");
  EXPECT_EQ(j["sysctl"][0]["value"], "2");
}

TEST_F(SysctlTest, StopPutsThePreviousValueBack) {
  SysctlService s(registries_.context(io_, netlink_), root_.string());
  s.start(with({{"net.ipv4.ip_forward", "1", {}}}));
  EXPECT_EQ(value(), "1");
  bool done = false;
  s.stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(value(), "0");
}

// Forwarding must not outlive the firewall: a key the new file no longer
// names goes back to what the kernel had before pairgate wrote it.
TEST_F(SysctlTest, AKeyRemovedOnReloadIsPutBack) {
  std::ofstream(root_ / "net/ipv4/conf_all_rp_filter") << "1\n";
  SysctlService s(registries_.context(io_, netlink_), root_.string());
  auto c = with({{"net.ipv4.ip_forward", "1", {}}, {"net.ipv4.conf_all_rp_filter", "2", {}}});
  s.start(c);
  EXPECT_EQ(value(), "1");
  auto c2 = with({{"net.ipv4.conf_all_rp_filter", "2", {}}});
  s.reload(c2, conf::diff(c, c2));
  EXPECT_EQ(value(), "0");
  ASSERT_EQ(s.entries().size(), 1u);
  EXPECT_EQ(s.entries()[0].key, "net.ipv4.conf_all_rp_filter");
  // Stopping now restores only what is still pairgate's.
  s.stop([] {});
  EXPECT_EQ(value(), "0");
  std::ifstream in(root_ / "net/ipv4/conf_all_rp_filter");
  std::string v;
  in >> v;
  EXPECT_EQ(v, "1");
}

// A key that comes back later starts from what the kernel has then.
TEST_F(SysctlTest, AKeyRemovedAndAddedAgainRemembersTheKernelsValue) {
  SysctlService s(registries_.context(io_, netlink_), root_.string());
  auto c = with({{"net.ipv4.ip_forward", "1", {}}});
  auto none = with({});
  s.start(c);
  s.reload(none, conf::diff(c, none));
  EXPECT_EQ(value(), "0");
  EXPECT_TRUE(s.entries().empty());
  s.reload(c, conf::diff(none, c));
  EXPECT_EQ(value(), "1");
  ASSERT_EQ(s.entries().size(), 1u);
  EXPECT_EQ(s.entries()[0].previous, "0");
}

// A key the operator changed behind pairgate's back after it was removed
// from the file is not pairgate's to restore: only a value pairgate wrote
// (still in force) is put back.
TEST_F(SysctlTest, ARemovedKeyChangedBySomeoneElseIsLeftAlone) {
  SysctlService s(registries_.context(io_, netlink_), root_.string());
  auto c = with({{"net.ipv4.ip_forward", "1", {}}});
  auto none = with({});
  s.start(c);
  std::ofstream(root_ / "net/ipv4/ip_forward") << "7\n";
  s.reload(none, conf::diff(c, none));
  EXPECT_EQ(value(), "7");
}

TEST_F(SysctlTest, SlashFormKeysKeepTheirDots) {
  std::filesystem::create_directories(root_ / "net/ipv4/conf/eth0.100");
  std::ofstream(root_ / "net/ipv4/conf/eth0.100/rp_filter") << "1\n";
  SysctlService s(registries_.context(io_, netlink_), root_.string());
  s.start(with({{"net/ipv4/conf/eth0.100/rp_filter", "2", {}}}));
  ASSERT_EQ(s.entries().size(), 1u);
  EXPECT_TRUE(s.entries()[0].error.empty()) << s.entries()[0].error;
  std::ifstream in(root_ / "net/ipv4/conf/eth0.100/rp_filter");
  std::string v;
  in >> v;
  EXPECT_EQ(v, "2");
}

TEST_F(SysctlTest, AMissingKeyIsAnErrorInStatusNotAStop) {
  SysctlService s(registries_.context(io_, netlink_), root_.string());
  s.start(with({{"net.ipv4.nope", "1", {}}, {"net.ipv4.ip_forward", "1", {}}}));
  ASSERT_EQ(s.entries().size(), 2u);
  EXPECT_NE(s.entries()[0].error.find("cannot read"), std::string::npos);
  EXPECT_EQ(value(), "1");
}

}  // namespace
}  // namespace pairgate::firewall
