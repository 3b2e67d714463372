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

enum class MetricType { counter, gauge };

using Labels = std::vector<std::pair<std::string, std::string>>;

struct MetricFamily {
  MetricType type = MetricType::counter;
  std::string help;
  std::vector<std::pair<Labels, double>> samples;
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
