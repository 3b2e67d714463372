// Counters and gauges, read from their owners when asked. Each module
// registers one collector that reads the same fields its status() shows, so
// `pairgatectl status` and GET /metrics report one set of numbers. No
// per-lease or otherwise unbounded series: a collector emits a bounded
// number of samples (per instance, per tunnel, per subnet, per reason).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pairgate {

// `untyped` is for a value that may go down but whose established name ends
// in _total (Kea/Stork's kea_dhcp4_addresses_total): calling it a gauge makes
// `promtool check metrics` object to the suffix, calling it a counter would
// be untrue.
enum class MetricType { counter, gauge, untyped, histogram };

using Labels = std::vector<std::pair<std::string, std::string>>;

// A histogram's state at collection time: `cumulative[i]` observations were
// <= bounds[i]; `count` is every observation (the +Inf bucket).
struct HistogramValue {
  std::vector<double> bounds;
  std::vector<std::uint64_t> cumulative;
  double sum = 0;
  std::uint64_t count = 0;
};

struct MetricFamily {
  MetricType type = MetricType::counter;
  std::string help;
  std::vector<std::pair<Labels, double>> samples;             // all but histograms
  std::vector<std::pair<Labels, HistogramValue>> histograms;  // type histogram
};

// What one collection gathered, by family name (sorted, so output is stable).
class MetricSet {
 public:
  // Adds a sample; the first sample of a name fixes its type and help.
  void add(std::string_view name, MetricType type, std::string_view help, Labels labels, double value);
  void counter(std::string_view name, std::string_view help, Labels labels, double value) {
    add(name, MetricType::counter, help, std::move(labels), value);
  }
  void gauge(std::string_view name, std::string_view help, Labels labels, double value) {
    add(name, MetricType::gauge, help, std::move(labels), value);
  }
  void untyped(std::string_view name, std::string_view help, Labels labels, double value) {
    add(name, MetricType::untyped, help, std::move(labels), value);
  }
  void histogram(std::string_view name, std::string_view help, Labels labels, HistogramValue value);
  const std::map<std::string, MetricFamily, std::less<>>& families() const { return families_; }
  // The value of the sample with exactly these labels, if any (tests, status).
  const double* find(std::string_view name, const Labels& labels = {}) const;

 private:
  std::map<std::string, MetricFamily, std::less<>> families_;
};

class MetricsRegistry {
 public:
  using Collector = std::function<void(MetricSet&)>;
  using Id = std::uint64_t;
  Id add(Collector collector);
  void remove(Id id);
  MetricSet collect() const;

 private:
  std::map<Id, Collector> collectors_;
  Id next_ = 1;
};

}  // namespace pairgate
