#include "core/metrics.h"

namespace pairgate {

void MetricSet::add(std::string_view name, MetricType type, std::string_view help, Labels labels, double value) {
  auto it = families_.find(name);
  if (it == families_.end()) it = families_.emplace(std::string(name), MetricFamily{type, std::string(help), {}, {}}).first;
  it->second.samples.emplace_back(std::move(labels), value);
}

void MetricSet::histogram(std::string_view name, std::string_view help, Labels labels, HistogramValue value) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), MetricFamily{MetricType::histogram, std::string(help), {}, {}}).first;
  }
  it->second.histograms.emplace_back(std::move(labels), std::move(value));
}

const double* MetricSet::find(std::string_view name, const Labels& labels) const {
  auto it = families_.find(name);
  if (it == families_.end()) return nullptr;
  for (const auto& [l, v] : it->second.samples) {
    if (l == labels) return &v;
  }
  return nullptr;
}

MetricsRegistry::Id MetricsRegistry::add(Collector collector) {
  const Id id = next_++;
  collectors_.emplace(id, std::move(collector));
  return id;
}

void MetricsRegistry::remove(Id id) { collectors_.erase(id); }

MetricSet MetricsRegistry::collect() const {
  MetricSet out;
  for (const auto& [id, c] : collectors_) c(out);
  return out;
}

}  // namespace pairgate
