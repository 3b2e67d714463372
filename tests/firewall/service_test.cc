// The firewall module with a fake nft: when it applies, re-applies, keeps the
// old table, removes it.
#include "firewall/service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "conf/diff.h"
#include "conf/parser.h"
#include "tests/mocks/mock_netlink.h"
#include "tests/support/module_context.h"

namespace pairgate::firewall {
namespace {

class FakeNft : public Nft {
 public:
  std::expected<std::string, std::string> run(const std::string& script, bool json) override {
    if (json) return R"({"nftables": [{"metainfo": {}}, {"counter": {"name": "x", "packets": 7, "bytes": 9}}]})";
    scripts.push_back(script);
    if (refuse) return std::unexpected("Error: Could not process rule: Operation not supported");
    return "";
  }
  std::vector<std::string> scripts;
  bool refuse = false;
};

class FirewallServiceTest : public ::testing::Test {
 protected:
  conf::Config config(const std::string& firewall) {
    auto r = conf::parse("node: n\n" + firewall, "t.yaml");
    EXPECT_TRUE(r.config) << r.report();
    return *r.config;
  }
  nlohmann::json status() {
    nlohmann::json j;
    service_.status(j);
    return j["firewall"];
  }

  boost::asio::io_context io_;
  testing::MockNetlink netlink_;
  testing::Registries registries_;
  FakeNft* nft_ = new FakeNft;
  Service service_{registries_.context(io_, netlink_), std::unique_ptr<Nft>(nft_)};
};

TEST_F(FirewallServiceTest, AppliesOnStartAndOnlyWhenChanged) {
  auto a = config("firewall: {wan_interfaces: [wan0]}\n");
  service_.start(a);
  ASSERT_EQ(nft_->scripts.size(), 1u);
  EXPECT_TRUE(status()["applied"]);
  EXPECT_EQ(status()["drops"]["input"], 7);
  service_.reload(a, conf::diff(a, a));
  EXPECT_EQ(nft_->scripts.size(), 1u) << "unchanged: not re-applied";
  auto b = config("firewall: {wan_interfaces: [wan0], log_drops: false}\n");
  service_.reload(b, conf::diff(a, b));
  EXPECT_EQ(nft_->scripts.size(), 2u);
  EXPECT_EQ(status()["applies"], 2);
}

TEST_F(FirewallServiceTest, ARefusedRulesetKeepsTheOldTableAndShowsTheError) {
  auto a = config("firewall: {wan_interfaces: [wan0]}\n");
  service_.start(a);
  nft_->refuse = true;
  auto b = config("firewall: {wan_interfaces: [wan1]}\n");
  service_.reload(b, conf::diff(a, b));
  auto s = status();
  EXPECT_TRUE(s["applied"]);
  EXPECT_EQ(s["error"], "Error: Could not process rule: Operation not supported");
  EXPECT_EQ(s["failures"], 1);
  // Once nft accepts again, the error clears.
  nft_->refuse = false;
  service_.reload(b, conf::diff(a, b));
  EXPECT_FALSE(status().contains("error"));
}

TEST_F(FirewallServiceTest, DisablingOrStoppingRemovesTheTable) {
  auto a = config("firewall: {wan_interfaces: [wan0], table: edge}\n");
  service_.start(a);
  auto off = config("firewall: {wan_interfaces: [wan0], table: edge, enabled: false}\n");
  service_.reload(off, conf::diff(a, off));
  EXPECT_EQ(nft_->scripts.back(), "add table inet edge\ndelete table inet edge\n");
  EXPECT_FALSE(status()["applied"]);
  service_.reload(a, conf::diff(off, a));
  bool done = false;
  service_.stop([&] { done = true; });
  EXPECT_TRUE(done);
  EXPECT_EQ(nft_->scripts.back(), "add table inet edge\ndelete table inet edge\n");
}

TEST_F(FirewallServiceTest, ARenamedTableReplacesTheOldOneInTheSameTransaction) {
  auto a = config("firewall: {wan_interfaces: [wan0], table: one}\n");
  service_.start(a);
  auto b = config("firewall: {wan_interfaces: [wan0], table: two}\n");
  service_.reload(b, conf::diff(a, b));
  EXPECT_TRUE(nft_->scripts.back().starts_with("add table inet one\ndelete table inet one\nadd table inet two\n"));
  EXPECT_EQ(status()["table"], "two");
}

TEST_F(FirewallServiceTest, NoSectionNoTable) {
  service_.start(config(""));
  EXPECT_TRUE(nft_->scripts.empty());
  EXPECT_TRUE(status().is_null());
}

}  // namespace
}  // namespace pairgate::firewall
