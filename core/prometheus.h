// The Prometheus text exposition format (version 0.0.4) of a MetricSet: what
// GET /metrics answers. A pure function: no I/O, no clock.
//
// Families come out sorted by name, each as "# HELP", "# TYPE", then its
// samples in the order the collectors added them. Label values and help
// texts are escaped as the format requires (\\, \", \n). A family or label
// whose name is not a valid Prometheus name is left out (a programming error
// that must not cost the rest of the scrape); the count of such omissions is
// returned so a test can insist on zero.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/metrics.h"

namespace pairgate::prometheus {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

struct Rendered {
  std::string text;
  std::size_t skipped = 0;  // families or samples left out for an invalid name
};
Rendered render(const MetricSet& set);

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved)
bool valid_label_name(std::string_view name);

// A sample value as the format writes it: integers without exponent or
// fraction, others in the shortest form that reads back the same, NaN, +Inf, -Inf.
void append_value(std::string& out, double v);

}  // namespace pairgate::prometheus
