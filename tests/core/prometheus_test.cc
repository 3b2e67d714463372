#include "core/prometheus.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/histogram.h"

namespace pairgate::prometheus {
namespace {

TEST(PrometheusRender, FamiliesSortedWithHelpTypeAndSamplesInOrder) {
  MetricSet set;
  set.gauge("keepalived_vrrp_state", "State of vrrp.", {{"iname", "VRRP1"}, {"intf", "eth0"}, {"vrid", "1"}}, 2);
  set.counter("keepalived_advertisements_sent_total", "Advertisements sent.", {{"iname", "VRRP1"}}, 12);
  set.counter("keepalived_advertisements_sent_total", "", {{"iname", "VRRP2"}}, 3);
  set.untyped("kea_dhcp4_addresses_total", "Size of subnet address pool.", {{"subnet", "198.51.100.0/24"}}, 80);
  EXPECT_EQ(render(set).text,
            "# HELP kea_dhcp4_addresses_total Size of subnet address pool.\n"
            "# TYPE kea_dhcp4_addresses_total untyped\n"
            "kea_dhcp4_addresses_total{subnet=\"198.51.100.0/24\"} 80\n"
            "# HELP keepalived_advertisements_sent_total Advertisements sent.\n"
            "# TYPE keepalived_advertisements_sent_total counter\n"
            "keepalived_advertisements_sent_total{iname=\"VRRP1\"} 12\n"
            "keepalived_advertisements_sent_total{iname=\"VRRP2\"} 3\n"
            "# HELP keepalived_vrrp_state State of vrrp.\n"
            "# TYPE keepalived_vrrp_state gauge\n"
            "keepalived_vrrp_state{iname=\"VRRP1\",intf=\"eth0\",vrid=\"1\"} 2\n");
}

TEST(PrometheusRender, LabelValuesAndHelpAreEscaped) {
  MetricSet set;
  set.gauge("x", "back\\slash\nnew \"quoted\"", {{"name", "a\"b\\c\nd"}}, 1);
  const auto r = render(set);
  EXPECT_NE(r.text.find("# HELP x back\\\\slash\\nnew \"quoted\"\n"), std::string::npos) << r.text;
  EXPECT_NE(r.text.find("x{name=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos) << r.text;
}

TEST(PrometheusRender, ValuesInTheFormsTheFormatReads) {
  auto v = [](double d) {
    std::string s;
    append_value(s, d);
    return s;
  };
  EXPECT_EQ(v(0), "0");
  EXPECT_EQ(v(-3), "-3");
  EXPECT_EQ(v(18446744073709551615.0), "18446744073709551616");  // 2^64 as a double
  EXPECT_EQ(v(1e300), "1e+300");
  EXPECT_EQ(v(0.0041), "0.0041");
  EXPECT_EQ(v(1.5), "1.5");
  EXPECT_EQ(v(std::numeric_limits<double>::quiet_NaN()), "NaN");
  EXPECT_EQ(v(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(v(-std::numeric_limits<double>::infinity()), "-Inf");
}

TEST(PrometheusRender, HistogramHasCumulativeBucketsInfSumAndCount) {
  Histogram h{0.001, 0.01, 0.1};
  for (double s : {0.0005, 0.001, 0.002, 0.05, 3.0}) h.observe(s);
  MetricSet set;
  set.histogram("pairgate_lease_file_sync_seconds", "fdatasync latency.", {{"file", "a"}}, h.value());
  EXPECT_EQ(render(set).text,
            "# HELP pairgate_lease_file_sync_seconds fdatasync latency.\n"
            "# TYPE pairgate_lease_file_sync_seconds histogram\n"
            "pairgate_lease_file_sync_seconds_bucket{file=\"a\",le=\"0.001\"} 2\n"
            "pairgate_lease_file_sync_seconds_bucket{file=\"a\",le=\"0.01\"} 3\n"
            "pairgate_lease_file_sync_seconds_bucket{file=\"a\",le=\"0.1\"} 4\n"
            "pairgate_lease_file_sync_seconds_bucket{file=\"a\",le=\"+Inf\"} 5\n"
            "pairgate_lease_file_sync_seconds_sum{file=\"a\"} 3.0535\n"
            "pairgate_lease_file_sync_seconds_count{file=\"a\"} 5\n");
}

TEST(PrometheusRender, InvalidNamesAreLeftOutAndCounted) {
  MetricSet set;
  set.gauge("9bad", "", {}, 1);
  set.gauge("ok", "", {{"bad-label", "x"}}, 1);
  set.gauge("ok", "", {{"__reserved", "x"}}, 1);
  set.gauge("ok", "", {{"good", "x"}}, 2);
  const auto r = render(set);
  EXPECT_EQ(r.skipped, 3u);
  EXPECT_EQ(r.text, "# HELP ok \n# TYPE ok gauge\nok{good=\"x\"} 2\n");
}

TEST(PrometheusNames, Rules) {
  EXPECT_TRUE(valid_metric_name("a:b_c9"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_TRUE(valid_label_name("_x"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("__name__"));
}

}  // namespace
}  // namespace pairgate::prometheus
