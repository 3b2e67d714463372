#include "vrrp/metrics.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "tests/support/metric_lint.h"
#include "vrrp/notify.h"

namespace pairgate::vrrp {
namespace {

InstanceMetrics sample() {
  InstanceMetrics m;
  m.name = "VRRP1";
  m.interface = "enp3s0";
  m.vrid = 1;
  m.state = State::master;
  m.priority = 200;
  m.effective_priority = 150;
  m.counters.advert_rcvd = 10;
  m.counters.advert_sent = 20;
  m.counters.become_master = 2;
  m.counters.release_master = 1;
  m.counters.pri_zero_rcvd = 3;
  m.counters.pri_zero_sent = 4;
  m.counters.drops[static_cast<std::size_t>(Drop::ip_ttl_err)] = 5;
  m.counters.drops[static_cast<std::size_t>(Drop::checksum_err)] = 6;
  m.counters.drops[static_cast<std::size_t>(Drop::advert_interval_err)] = 7;
  m.garp_sent = 8;
  return m;
}

const Labels kL = {{"iname", "VRRP1"}, {"intf", "enp3s0"}, {"vrid", "1"}};

TEST(VrrpMetrics, KeepalivedExporterNamesAndLabels) {
  MetricSet set;
  add_instance_metrics(set, sample());
  auto v = [&](std::string_view name, const Labels& l = kL) {
    auto p = set.find(name, l);
    EXPECT_NE(p, nullptr) << name;
    return p ? *p : -1;
  };
  EXPECT_EQ(v("keepalived_vrrp_state"), 2);
  EXPECT_EQ(v("keepalived_advertisements_received_total"), 10);
  EXPECT_EQ(v("keepalived_advertisements_sent_total"), 20);
  EXPECT_EQ(v("keepalived_become_master_total"), 2);
  EXPECT_EQ(v("keepalived_release_master_total"), 1);
  EXPECT_EQ(v("keepalived_priority_zero_received_total"), 3);
  EXPECT_EQ(v("keepalived_priority_zero_sent_total"), 4);
  EXPECT_EQ(v("keepalived_ip_ttl_errors_total"), 5);
  EXPECT_EQ(v("keepalived_advertisements_interval_errors_total"), 7);
  EXPECT_EQ(v("keepalived_packet_length_errors_total"), 0);
  EXPECT_EQ(v("keepalived_invalid_type_received_total"), 0);
  EXPECT_EQ(v("keepalived_address_list_errors_total"), 0);
  EXPECT_EQ(v("keepalived_authentication_invalid_total"), 0);
  EXPECT_EQ(v("keepalived_authentication_mismatch_total"), 0);
  EXPECT_EQ(v("keepalived_authentication_failure_total"), 0);
  // Every reason, keepalived's or not, under pairgate's name.
  Labels checksum = kL;
  checksum.emplace_back("reason", "checksum_err");
  EXPECT_EQ(v("pairgate_vrrp_drops_total", checksum), 6);
  EXPECT_EQ(set.families().at("pairgate_vrrp_drops_total").samples.size(), kDropKinds);
  EXPECT_EQ(v("pairgate_vrrp_priority"), 150);
  EXPECT_EQ(v("pairgate_vrrp_configured_priority"), 200);
  EXPECT_EQ(v("pairgate_vrrp_gratuitous_arp_sent_total"), 8);
  testing::expect_lint_clean(set);
}

TEST(VrrpMetrics, StatesAsKeepalivedNumbersThem) {
  EXPECT_EQ(keepalived_state(State::initialize), 0);
  EXPECT_EQ(keepalived_state(State::backup), 1);
  EXPECT_EQ(keepalived_state(State::master), 2);
  EXPECT_EQ(keepalived_state(State::fault), 3);
}

TEST(VrrpMetrics, InterfaceAndNotify) {
  boost::asio::io_context io;
  Notifier n(io, "beagle");
  MetricSet set;
  add_interface_metrics(set, 9);
  add_notify_metrics(set, n);
  EXPECT_EQ(*set.find("keepalived_up"), 1);
  EXPECT_EQ(*set.find("pairgate_vrrp_unknown_vrid_total"), 9);
  EXPECT_EQ(*set.find("pairgate_notify_programs_started_total"), 0);
  EXPECT_EQ(*set.find("pairgate_notify_programs_waiting"), 0);
  testing::expect_lint_clean(set);
}

}  // namespace
}  // namespace pairgate::vrrp
