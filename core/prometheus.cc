#include "core/prometheus.h"

#include <charconv>
#include <cmath>

namespace pairgate::prometheus {

namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon)) return false;
  }
  return true;
}

// HELP escapes backslash and newline; label values also the double quote.
void append_escaped(std::string& out, std::string_view s, bool quote) {
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '"':
        if (quote) {
          out += "\\\"";
          break;
        }
        [[fallthrough]];
      default: out += c;
    }
  }
}

std::string_view type_name(MetricType t) {
  switch (t) {
    case MetricType::counter: return "counter";
    case MetricType::gauge: return "gauge";
    case MetricType::histogram: return "histogram";
    case MetricType::untyped: break;
  }
  return "untyped";
}

bool valid_labels(const Labels& labels) {
  for (const auto& [k, v] : labels) {
    if (!valid_label_name(k) || k == "le") return false;
  }
  return true;
}

// name{k="v",...,extra} value\n; `extra` is an already formatted pair (le="0.5").
void append_sample(std::string& out, std::string_view name, std::string_view suffix, const Labels& labels,
                   std::string_view extra, double value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [k, v] : labels) {
      if (!first) out += ',';
      first = false;
      out += k;
      out += "=\"";
      append_escaped(out, v, true);
      out += '"';
    }
    if (!extra.empty()) {
      if (!first) out += ',';
      out += extra;
    }
    out += '}';
  }
  out += ' ';
  append_value(out, value);
  out += '\n';
}

}  // namespace

bool valid_metric_name(std::string_view name) { return valid_name(name, true); }

bool valid_label_name(std::string_view name) { return valid_name(name, false) && !name.starts_with("__"); }

void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[32];
  std::to_chars_result r;
  // Whole numbers below 2^53 (every counter in practice) print as integers.
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<long long>(v));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, v);
  }
  out.append(buf, r.ptr);
}

Rendered render(const MetricSet& set) {
  Rendered out;
  std::string& s = out.text;
  s.reserve(16 * 1024);
  std::string le;
  for (const auto& [name, f] : set.families()) {
    if (!valid_metric_name(name)) {
      ++out.skipped;
      continue;
    }
    s += "# HELP ";
    s += name;
    s += ' ';
    append_escaped(s, f.help, false);
    s += "\n# TYPE ";
    s += name;
    s += ' ';
    s += type_name(f.type);
    s += '\n';
    if (f.type == MetricType::histogram) {
      for (const auto& [labels, h] : f.histograms) {
        if (!valid_labels(labels) || h.bounds.size() != h.cumulative.size()) {
          ++out.skipped;
          continue;
        }
        for (std::size_t i = 0; i < h.bounds.size(); ++i) {
          le = "le=\"";
          append_value(le, h.bounds[i]);
          le += '"';
          append_sample(s, name, "_bucket", labels, le, static_cast<double>(h.cumulative[i]));
        }
        append_sample(s, name, "_bucket", labels, "le=\"+Inf\"", static_cast<double>(h.count));
        append_sample(s, name, "_sum", labels, {}, h.sum);
        append_sample(s, name, "_count", labels, {}, static_cast<double>(h.count));
      }
      continue;
    }
    for (const auto& [labels, value] : f.samples) {
      if (!valid_labels(labels)) {
        ++out.skipped;
        continue;
      }
      append_sample(s, name, {}, labels, {}, value);
    }
  }
  return out;
}

}  // namespace pairgate::prometheus
