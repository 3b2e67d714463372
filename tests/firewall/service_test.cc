// The firewall module with a fake nft: when it applies, re-applies, keeps the
// old table, removes it; and that status reads the counters off the loop.
#include "firewall/service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "conf/diff.h"
#include "conf/parser.h"
#include "tests/mocks/mock_netlink.h"
#include "tests/support/metric_lint.h"
#include "tests/support/module_context.h"

namespace pairgate::firewall {
namespace {

class FakeNft : public Nft {
 public:
  std::expected<std::string, std::string> run(const std::string& script, bool json) override {
    ++calls;
    if (json) {
      reads.push_back(script);
      if (gone > 0) {
        --gone;
        return std::unexpected("Error: No such file or directory");
      }
      return R"({"nftables": [{"metainfo": {}}, {"counter": {"name": "input_drops", "packets": 7, "bytes": 9}},)"
             R"( {"counter": {"name": "forward_drops", "packets": 3, "bytes": 5}}]})";
    }
    scripts.push_back(script);
    if (refuse) return std::unexpected("Error: Could not process rule: Operation not supported");
    return "";
  }
  std::vector<std::string> scripts;
  std::vector<std::string> reads;
  int calls = 0;
  int gone = 0;  // this many readings find no table
  bool refuse = false;
};

class FirewallServiceTest : public ::testing::Test {
 protected:
  FirewallServiceTest() {
    // The MAP-E readings: two flows in the first set, one echo in the
    // second, and a table that saw 5 failed inserts since the monitor began.
    service_.set_map_usage_sources(MapUsageSources{
        .dump = [this](Ipv4Address address, std::size_t) -> std::expected<MapUsageSources::Dump, std::string> {
          ++dumps_;
          MapUsageSources::Dump d;
          d.ends = {{6, address, 4930}, {17, address, 4931}, {1, address, 9030}};
          d.seen = d.ends.size();
          return d;
        },
        .stat = [this]() -> std::expected<ConntrackStat, ConntrackStatError> {
          ConntrackStat s;
          s.cpus = 1;
          s.insert_failed = insert_failed_;
          insert_failed_ += 5;
          return s;
        },
        // The flush sees these entries to the old address and deletes what
        // `stale` picks.
        .flush = [this](Ipv4Address address, const MapUsageSources::Stale& stale)
            -> std::expected<MapUsageSources::Flushed, std::string> {
          flushed_from_.push_back(address.to_string());
          MapUsageSources::Flushed f;
          for (std::uint16_t port : {4930, 9030, 5000}) {
            if (stale({17, address, port})) ++f.deleted;
          }
          return f;
        }});
  }
  conf::Config config(const std::string& firewall) {
    auto r = conf::parse("node: n\n" + firewall, "t.yaml");
    EXPECT_TRUE(r.config) << r.report();
    return *r.config;
  }
  // Readings run when the test says (run_jobs), their answers reach the
  // service when the loop runs.
  nlohmann::json status() {
    run_jobs();
    nlohmann::json j;
    service_.status(j);
    return j["firewall"];
  }
  void run_jobs() {
    while (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.erase(jobs_.begin());
      job();
    }
    io_.restart();
    io_.poll();
  }

  boost::asio::io_context io_;
  testing::MockNetlink netlink_;
  testing::Registries registries_;
  FakeNft* nft_ = new FakeNft;
  std::vector<std::function<void()>> jobs_;
  int dumps_ = 0;
  std::vector<std::string> flushed_from_;
  std::uint64_t insert_failed_ = 100;
  Service service_{registries_.context(io_, netlink_), std::unique_ptr<Nft>(nft_), std::chrono::seconds(5),
                   [this](std::function<void()> job) { jobs_.push_back(std::move(job)); }};
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

// A status request costs the loop no nft call: the counters come from the
// last reading, made off the loop, and say how old they are.
TEST_F(FirewallServiceTest, StatusServesTheLastReadingWithoutCallingNft) {
  auto a = config("firewall: {wan_interfaces: [wan0]}\n");
  service_.start(a);
  nlohmann::json j;
  service_.status(j);
  EXPECT_EQ(j["firewall"]["drops_age_ms"], nullptr) << "no reading yet";
  run_jobs();
  const int calls = nft_->calls;
  for (int i = 0; i < 100; ++i) service_.status(j);
  EXPECT_EQ(nft_->calls, calls);
  EXPECT_EQ(j["firewall"]["drops"]["input"], 7);
  EXPECT_EQ(j["firewall"]["drops"]["forward"], 3);
  EXPECT_GE(j["firewall"]["drops_age_ms"], 0);
  EXPECT_EQ(nft_->reads, std::vector<std::string>{"list counters table inet pairgate"});
}

TEST_F(FirewallServiceTest, ATableRemovedBySomeoneElseIsAppliedAgain) {
  auto a = config("firewall: {wan_interfaces: [wan0]}\n");
  nft_->gone = 1;
  service_.start(a);
  auto s = status();
  EXPECT_EQ(s["restored"], 1);
  EXPECT_EQ(nft_->scripts.size(), 2u);
  EXPECT_TRUE(s["applied"]);
}

// A reload whose table is unchanged asks nft nothing on the loop (it took
// 80-110 ms with 2,048 rules); a table removed meanwhile is found by the
// reading it starts and put back.
TEST_F(FirewallServiceTest, AReloadAsksNftNothingOnTheLoopAndStillPutsBackARemovedTable) {
  auto a = config("firewall: {wan_interfaces: [wan0]}\n");
  service_.start(a);
  run_jobs();
  const int calls = nft_->calls;
  nft_->gone = 1;  // someone ran `nft flush ruleset`
  service_.reload(a, conf::diff(a, a));
  EXPECT_EQ(nft_->calls, calls) << "no nft call on the loop";
  ASSERT_EQ(jobs_.size(), 1u) << "one reading queued for the helper";
  auto s = status();
  EXPECT_EQ(s["restored"], 1);
  EXPECT_EQ(nft_->scripts.size(), 2u);
  EXPECT_TRUE(s["applied"]);
}

// A reading of the table as it was before a reload replaced it says
// nothing about the new one.
TEST_F(FirewallServiceTest, AReadingOvertakenByAnApplyIsDropped) {
  auto a = config("firewall: {wan_interfaces: [wan0], table: one}\n");
  service_.start(a);
  ASSERT_EQ(jobs_.size(), 1u);
  nft_->gone = 1;  // the reading will find no table "one"...
  auto b = config("firewall: {wan_interfaces: [wan0], table: two}\n");
  service_.reload(b, conf::diff(a, b));  // ...because it is "two" now
  auto s = status();
  EXPECT_EQ(s["restored"], 0);
  EXPECT_EQ(s["table"], "two");
  EXPECT_EQ(s["drops_age_ms"], nullptr);
}

TEST_F(FirewallServiceTest, NoSectionNoTable) {
  service_.start(config(""));
  EXPECT_TRUE(nft_->scripts.empty());
  EXPECT_TRUE(status().is_null());
}

TEST_F(FirewallServiceTest, EachApplyRefusalAndRemovalIsAnEvent) {
  std::vector<std::string> actions;
  registries_.events.subscribe([&](const Event& e) {
    EXPECT_EQ(e.kind, "firewall");
    actions.push_back(e.data["action"]);
  });
  auto a = config("firewall: {wan_interfaces: [wan0]}\n");
  service_.start(a);
  auto b = config("firewall: {wan_interfaces: [wan0], log_drops: false}\n");
  service_.reload(b, conf::diff(a, b));
  nft_->refuse = true;
  service_.reload(a, conf::diff(b, a));
  nft_->refuse = false;
  service_.stop([] {});
  EXPECT_EQ(actions, (std::vector<std::string>{"applied", "replaced", "refused", "removed"}));
  EXPECT_EQ(registries_.events.since(0).events[0].message, "firewall: table inet pairgate applied");
}

TEST_F(FirewallServiceTest, MetricsAreWhatStatusShows) {
  EXPECT_EQ(registries_.metrics.collect().find("pairgate_firewall_applied"), nullptr);
  service_.start(config("firewall: {wan_interfaces: [wan0]}\n"));
  auto m = registries_.metrics.collect();
  EXPECT_EQ(*m.find("pairgate_firewall_applied"), 1);
  EXPECT_EQ(*m.find("pairgate_firewall_applies_total"), 1);
  EXPECT_EQ(m.find("pairgate_firewall_drops_total", {{"chain", "input"}}), nullptr) << "no reading yet";
  // The drops are the last reading, made off the loop: a scrape calls no nft.
  run_jobs();
  const int calls = nft_->calls;
  m = registries_.metrics.collect();
  EXPECT_EQ(nft_->calls, calls);
  ASSERT_NE(m.find("pairgate_firewall_drops_total", {{"chain", "input"}}), nullptr);
  EXPECT_EQ(*m.find("pairgate_firewall_drops_total", {{"chain", "input"}}), 7);
  EXPECT_EQ(*m.find("pairgate_firewall_drops_total", {{"chain", "forward"}}), 3);
  testing::expect_lint_clean(m);
}

constexpr const char* kMape = R"(tunnels:
  - name: mape0
    type: mape
    wan_interface: wan0
    br: 2001:db8:ffff::1
    rules: [{ipv6_prefix: 2001:db8::/40, ipv4_prefix: 198.51.100.0/24, ea_length: 16, psid_offset: 4}]
firewall: {wan_interfaces: [wan0]}
)";

nlohmann::json map_data(const char* ipv4, bool active) {
  return {{"tunnel", "mape0"}, {"type", "mape"}, {"active", active}, {"ipv4", ipv4}, {"psid", 52}, {"psid_length", 8},
          {"port_sets", {{4928, 4943}, {9024, 9039}}}, {"ce_ipv6", "2001:db8:12:3400:c6:3364:1200:3400"},
          {"br", "2001:db8:ffff::1"}, {"rule_index", 0}};
}

// The tunnel publishes its mapping (tunnel/mape.h); the firewall renders its
// NAT, again when it changes, and drops it when it is withdrawn.
TEST_F(FirewallServiceTest, ATunnelMapEventPutsTheNatIntoTheTable) {
  // Published before the firewall started: read from the bus's history.
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.18", true));
  service_.start(config(kMape));
  ASSERT_EQ(nft_->scripts.size(), 1u);
  EXPECT_NE(nft_->scripts[0].find("snat ip to 198.51.100.18:9024-9039"), std::string::npos) << nft_->scripts[0];
  // The same mapping again (a restart of the tunnel): no nft call.
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.18", true));
  EXPECT_EQ(nft_->scripts.size(), 1u);
  // Renumbered: the table is replaced with the new address.
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.19", true));
  ASSERT_EQ(nft_->scripts.size(), 2u);
  EXPECT_NE(nft_->scripts[1].find("snat ip to 198.51.100.19:4928-4943"), std::string::npos);
  EXPECT_EQ(nft_->scripts[1].find("198.51.100.18"), std::string::npos);
  EXPECT_EQ(status()["mape"]["mape0"]["address"], "198.51.100.19");
  // Withdrawn: no NAT.
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.19", false));
  ASSERT_EQ(nft_->scripts.size(), 3u);
  EXPECT_EQ(nft_->scripts[2].find("mape_mape0"), std::string::npos);
}

// Status and metrics show the port sets' use of each MAP-E tunnel, read off
// the loop with the counters (firewall/map_usage.h).
TEST_F(FirewallServiceTest, TheReadingShowsEachMapeTunnelsPortSetUse) {
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.18", true));
  service_.start(config(kMape));
  status();  // the first reading: the monitor's baseline and one dump
  auto u = status()["mape"]["mape0"]["usage"];
  ASSERT_TRUE(u.is_object()) << status().dump();
  EXPECT_EQ(u["ports"], 32);
  EXPECT_EQ(u["ports_in_use"], 3);
  EXPECT_EQ(u["tcp"], 1);
  EXPECT_EQ(u["udp"], 1);
  EXPECT_EQ(u["icmp"], 1);
  EXPECT_EQ(u["sets"][0]["flows"], 2);
  EXPECT_EQ(u["sets"][1]["flows"], 1);
  EXPECT_GE(u["exhausted_drops"].get<int>(), 5);
  auto m = registries_.metrics.collect();
  const double* drops = m.find("pairgate_mape_exhausted_drops_total", {{"tunnel", "mape0"}});
  ASSERT_NE(drops, nullptr);
  EXPECT_GE(*drops, 5);
  const double* in_use = m.find("pairgate_mape_ports_in_use", {{"tunnel", "mape0"}});
  ASSERT_NE(in_use, nullptr);
  EXPECT_EQ(*in_use, 3);
  // Renumbered: a new monitor (a new baseline) for the new mapping.
  const int before = dumps_;
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.19", true));
  status();  // the apply dropped the old reading: this asks for a new one
  u = status()["mape"]["mape0"]["usage"];
  EXPECT_GT(dumps_, before);
  // Counted from the new monitor's baseline: one step of the fake's 5.
  EXPECT_EQ(u["exhausted_drops"], 5);
}

// Renumbered: the flows mapped to the old mapping are deleted (no rule
// checks a flow's later packets), after the new table, off the loop; a first mapping deletes the entries to its address
// outside its sets; a withdrawn mapping (a stop) deletes nothing.
TEST_F(FirewallServiceTest, ARemapDeletesTheOldMappingsFlows) {
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.18", true));
  service_.start(config(kMape));
  run_jobs();
  // The first mapping: entries to its address outside its sets (from
  // before a restart) go.
  ASSERT_EQ(flushed_from_, std::vector<std::string>{"198.51.100.18"});
  EXPECT_EQ(status()["mape_events"]["flows_flushed"], 1) << "5000 is in no set";
  // The same address, other sets: only the ports outside the new sets go.
  auto moved = map_data("198.51.100.18", true);
  moved["port_sets"] = {{4928, 4943}, {5000, 5015}};
  registries_.events.publish("tunnel_map", "mape0", "m", moved);
  ASSERT_EQ(nft_->scripts.size(), 2u);
  run_jobs();
  ASSERT_EQ(flushed_from_.size(), 2u);
  EXPECT_EQ(status()["mape_events"]["flows_flushed"], 2) << "9030 is in no new set";
  // Another address: every flow of the old one goes.
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.19", true));
  run_jobs();
  ASSERT_EQ(flushed_from_.size(), 3u);
  EXPECT_EQ(flushed_from_.back(), "198.51.100.18");
  EXPECT_EQ(status()["mape_events"]["flows_flushed"], 5);
  registries_.events.publish("tunnel_map", "mape0", "m", map_data("198.51.100.19", false));
  run_jobs();
  EXPECT_EQ(flushed_from_.size(), 3u) << "a withdrawal deletes nothing";
  EXPECT_EQ(status()["mape_events"]["flush_failures"], 0);
}

TEST_F(FirewallServiceTest, ATunnelMapEventThatDoesNotReadIsCountedAndChangesNothing) {
  service_.start(config(kMape));
  auto bad = map_data("198.51.100.18", true);
  bad["port_sets"] = {{9000, 8000}};
  registries_.events.publish("tunnel_map", "mape0", "m", bad);
  bad = map_data("not an address", true);
  registries_.events.publish("tunnel_map", "mape0", "m", bad);
  // A tunnel the configuration does not have as mape renders nothing.
  auto other = map_data("198.51.100.18", true);
  other["tunnel"] = "tun9";
  registries_.events.publish("tunnel_map", "tun9", "m", other);
  EXPECT_EQ(nft_->scripts.size(), 1u);
  EXPECT_EQ(status()["mape_events"]["refused"], 2);
}

}  // namespace
}  // namespace pairgate::firewall
