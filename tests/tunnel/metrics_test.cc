#include "tunnel/metrics.h"

#include <gtest/gtest.h>

#include "tests/support/metric_lint.h"

namespace pairgate::tunnel {
namespace {

TEST(TunnelMetrics, StateReasonAndProbes) {
  HealthSettings s;
  s.targets = {*Ipv4Address::parse("203.0.113.1")};
  HealthEngine h(s);
  h.halt("no WAN address");
  MetricSet set;
  add_tunnel_metrics(set, "ip6tnl1", h, 4);
  const Labels l = {{"tunnel", "ip6tnl1"}};
  EXPECT_EQ(*set.find("pairgate_tunnel_state", l), 0);
  EXPECT_EQ(*set.find("pairgate_tunnel_state_info", {{"tunnel", "ip6tnl1"}, {"state", "DOWN"}, {"reason", "no WAN address"}}), 1);
  EXPECT_EQ(*set.find("pairgate_tunnel_transitions_total", l), 4);
  EXPECT_EQ(*set.find("pairgate_tunnel_probes_sent_total", l), 0);
  // No answer yet: no round trip to report.
  EXPECT_EQ(set.find("pairgate_tunnel_probe_rtt_seconds", l), nullptr);
  testing::expect_lint_clean(set);
  EXPECT_EQ(state_number(State::down), 0);
  EXPECT_EQ(state_number(State::degraded), 1);
  EXPECT_EQ(state_number(State::up), 2);
}

}  // namespace
}  // namespace pairgate::tunnel

namespace pairgate::tunnel {
namespace {

TEST(TunnelMetrics, TheLastRoundTripInSeconds) {
  HealthSettings s;
  s.targets = {*Ipv4Address::parse("203.0.113.1")};
  HealthEngine h(s);
  const TimePoint t0{std::chrono::hours(1)};
  auto fx = h.start(std::nullopt, t0);
  ASSERT_EQ(fx.probes.size(), 1u);
  h.on_reply(fx.probes[0].destination, fx.probes[0].sequence, t0 + std::chrono::microseconds(4100));
  MetricSet set;
  add_tunnel_metrics(set, "ip6tnl1", h, 0);
  const Labels l = {{"tunnel", "ip6tnl1"}};
  ASSERT_NE(set.find("pairgate_tunnel_probe_rtt_seconds", l), nullptr);
  EXPECT_DOUBLE_EQ(*set.find("pairgate_tunnel_probe_rtt_seconds", l), 0.0041);
  EXPECT_EQ(*set.find("pairgate_tunnel_probes_sent_total", l), 1);
  EXPECT_EQ(*set.find("pairgate_tunnel_probe_replies_total", l), 1);
}

}  // namespace
}  // namespace pairgate::tunnel
