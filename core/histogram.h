// A fixed-bucket histogram for latencies: observe() is O(buckets) with no
// allocation, and value() gives what a collector reports (core/metrics.h).
// Bounds are fixed at construction, so memory never grows with use.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "core/metrics.h"

namespace pairgate {

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds, ascending (the +Inf bucket is implied).
  explicit Histogram(std::initializer_list<double> bounds) : bounds_(bounds), counts_(bounds_.size(), 0) {}
  explicit Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size(), 0) {}

  void observe(double v) {
    // Prometheus buckets are "less than or equal to the bound".
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
    if (it != bounds_.end()) ++counts_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += v;
    ++count_;
  }

  HistogramValue value() const {
    HistogramValue out;
    out.bounds = bounds_;
    out.cumulative.reserve(counts_.size());
    std::uint64_t running = 0;
    for (auto c : counts_) out.cumulative.push_back(running += c);
    out.sum = sum_;
    out.count = count_;
    return out;
  }

  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

  // Seconds from 100 µs to 10 s: a disk flush (fdatasync) or a round trip.
  static std::vector<double> latency_bounds() {
    return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> counts_;  // per bucket, not cumulative
  double sum_ = 0;
  std::uint64_t count_ = 0;
};

}  // namespace pairgate
