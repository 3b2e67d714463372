#include "conf/diagnostics.h"

#include <algorithm>

namespace pairgate::conf {

std::string headline(const Diagnostic& d) {
  if (d.line <= 0) return d.file + ": error: " + d.message;
  return d.file + ":" + std::to_string(d.line) + ":" + std::to_string(d.column) +
         ": error: " + d.message;
}

std::string format(const Diagnostic& d, std::string_view source) {
  if (d.line <= 0) return headline(d);
  std::size_t start = 0;
  for (int l = 1; l < d.line; ++l) {
    start = source.find('\n', start);
    if (start == std::string_view::npos) return headline(d);
    ++start;
  }
  return format_line(d, source.substr(start, source.find('\n', start) - start));
}

std::string format_line(const Diagnostic& d, std::string_view line) {
  std::string out = headline(d);
  if (d.line <= 0) return out;
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  out += "\n ";
  out += line;
  out += "\n ";
  // Keep tabs so the caret lines up under tab-indented text.
  int col = std::max(d.column, 1);
  for (int i = 0; i + 1 < col && i < static_cast<int>(line.size()); ++i) {
    out += line[i] == '\t' ? '\t' : ' ';
  }
  out += '^';
  return out;
}

}  // namespace pairgate::conf
