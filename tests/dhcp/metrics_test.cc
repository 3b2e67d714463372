#include "dhcp/metrics.h"

#include <gtest/gtest.h>

#include "tests/support/metric_lint.h"

namespace pairgate::dhcp {
namespace {

TEST(DhcpMetrics, KeaNamesPerOperationAndPerSubnet) {
  Counters c;
  c.discover = 10;
  c.request = 9;
  c.offer_sent = 8;
  c.ack_sent = 7;
  c.nak_sent = 1;
  c.declined_addresses = 2;
  c.reclaimed = 3;
  c.drops[static_cast<std::size_t>(Drop::parse_error)] = 4;
  c.drops[static_cast<std::size_t>(Drop::pool_exhausted)] = 5;
  Histogram sync{0.001, 0.01};
  sync.observe(0.002);
  DhcpMetrics m;
  m.counters = &c;
  m.pools = {{"198.51.100.0/24", "198.51.100.20-198.51.100.59", 40, 30},
             {"198.51.100.0/24", "198.51.100.100-198.51.100.109", 10, 10},
             {"203.0.113.0/24", "203.0.113.10-203.0.113.19", 10, 0}};
  m.leases_active = 40;
  m.lease_file_open = true;
  m.lease_file_ok = true;
  m.sync_latency = &sync;
  MetricSet set;
  add_dhcp_metrics(set, m);
  auto v = [&](std::string_view name, const Labels& l = {}) {
    auto p = set.find(name, l);
    EXPECT_NE(p, nullptr) << name;
    return p ? *p : -1;
  };
  EXPECT_EQ(v("kea_dhcp4_packets_received_total", {{"operation", "discover"}}), 10);
  EXPECT_EQ(v("kea_dhcp4_packets_received_total", {{"operation", "request"}}), 9);
  EXPECT_EQ(v("kea_dhcp4_packets_received_total", {{"operation", "drop"}}), 9);
  EXPECT_EQ(v("kea_dhcp4_packets_received_total", {{"operation", "parse-failed"}}), 4);
  EXPECT_EQ(v("kea_dhcp4_packets_sent_total", {{"operation", "offer"}}), 8);
  EXPECT_EQ(v("kea_dhcp4_packets_sent_total", {{"operation", "ack"}}), 7);
  EXPECT_EQ(v("kea_dhcp4_packets_sent_total", {{"operation", "nak"}}), 1);
  EXPECT_EQ(v("kea_dhcp4_addresses_assigned_total", {{"subnet", "198.51.100.0/24"}}), 40);
  EXPECT_EQ(v("kea_dhcp4_addresses_total", {{"subnet", "198.51.100.0/24"}}), 50);
  EXPECT_EQ(v("kea_dhcp4_addresses_total", {{"subnet", "203.0.113.0/24"}}), 10);
  EXPECT_EQ(set.families().at("kea_dhcp4_addresses_total").type, MetricType::untyped);
  EXPECT_EQ(v("kea_dhcp4_addresses_declined_total"), 2);
  EXPECT_EQ(v("kea_dhcp4_addresses_reclaimed_total"), 3);
  EXPECT_EQ(v("kea_dhcp4_allocations_failed_total"), 5);
  EXPECT_EQ(v("pairgate_dhcp_drops_total", {{"reason", "pool-exhausted"}}), 5);
  EXPECT_EQ(v("pairgate_dhcp_pool_used_addresses", {{"subnet", "198.51.100.0/24"}, {"range", "198.51.100.100-198.51.100.109"}}), 10);
  EXPECT_EQ(v("pairgate_lease_file_ok"), 1);
  EXPECT_EQ(set.families().at("pairgate_lease_file_sync_seconds").histograms.at(0).second.count, 1u);
  testing::expect_lint_clean(set);
}

TEST(DhcpMetrics, NoSubnetServedNoPacketCounters) {
  DhcpMetrics m;
  MetricSet set;
  add_dhcp_metrics(set, m);
  EXPECT_TRUE(set.families().empty());
}

}  // namespace
}  // namespace pairgate::dhcp
