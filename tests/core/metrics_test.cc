#include "core/metrics.h"

#include <gtest/gtest.h>

namespace pairgate {
namespace {

TEST(MetricsRegistry, CollectsFromEveryCollectorAtReadTime) {
  MetricsRegistry reg;
  std::uint64_t adverts = 0;
  reg.add([&](MetricSet& out) {
    out.counter("keepalived_advertisements_sent_total", "Adverts sent.", {{"iname", "V1"}}, static_cast<double>(adverts));
  });
  auto id = reg.add([](MetricSet& out) { out.gauge("pairgate_up", "Up.", {}, 1); });
  adverts = 7;
  auto set = reg.collect();
  ASSERT_NE(set.find("keepalived_advertisements_sent_total", {{"iname", "V1"}}), nullptr);
  EXPECT_EQ(*set.find("keepalived_advertisements_sent_total", {{"iname", "V1"}}), 7);
  EXPECT_EQ(set.families().at("pairgate_up").type, MetricType::gauge);
  reg.remove(id);
  EXPECT_EQ(reg.collect().find("pairgate_up"), nullptr);
}

TEST(MetricSet, SamplesOfOneNameShareAFamily) {
  MetricSet set;
  set.counter("drops_total", "Drops.", {{"reason", "bad_ttl"}}, 1);
  set.counter("drops_total", "ignored", {{"reason", "bad_len"}}, 2);
  const auto& f = set.families().at("drops_total");
  EXPECT_EQ(f.help, "Drops.");
  EXPECT_EQ(f.samples.size(), 2u);
  EXPECT_EQ(set.find("drops_total", {{"reason", "bad_len"}})[0], 2);
}

}  // namespace
}  // namespace pairgate
