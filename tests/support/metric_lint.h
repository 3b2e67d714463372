// The rules `promtool check metrics` applies that a collector can break,
// checked in unit tests so that a scrape never fails them: valid names, help
// text, counters end in _total and nothing else does (untyped excepted), no
// _count/_sum/_bucket endings outside histograms, one sample per label set.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/metrics.h"
#include "core/prometheus.h"

namespace pairgate::testing {

inline void expect_lint_clean(const MetricSet& set) {
  EXPECT_EQ(prometheus::render(set).skipped, 0u);
  for (const auto& [name, f] : set.families()) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(prometheus::valid_metric_name(name));
    EXPECT_FALSE(f.help.empty());
    const bool total = name.ends_with("_total");
    if (f.type == MetricType::counter) {
      EXPECT_TRUE(total) << "a counter ends in _total";
    }
    if (f.type == MetricType::gauge || f.type == MetricType::histogram) {
      EXPECT_FALSE(total) << "only counters (and untyped) end in _total";
    }
    if (f.type != MetricType::histogram) {
      EXPECT_FALSE(name.ends_with("_count") || name.ends_with("_sum") || name.ends_with("_bucket"));
    }
    std::set<Labels> seen;
    for (const auto& [labels, v] : f.samples) EXPECT_TRUE(seen.insert(labels).second) << "a label set twice";
    for (const auto& [labels, h] : f.histograms) EXPECT_TRUE(seen.insert(labels).second) << "a label set twice";
  }
}

}  // namespace pairgate::testing
