// Fuzz target: any bytes as pairgate.yaml. conf::parse must not crash or
// throw, and what it returns must hang together.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "conf/diff.h"
#include "conf/limits.h"
#include "conf/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::conf;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const LoadResult r = parse(text, "fuzz.yaml");
  // A configuration exactly when there is no error.
  if (r.config.has_value() == !r.errors.empty()) std::abort();
  // At most kMaxErrors kept, every one counted.
  if (r.errors.size() > kMaxErrors || r.error_count < r.errors.size()) std::abort();
  if (r.errors.size() < kMaxErrors && r.error_count != r.errors.size()) std::abort();
  int line = 0;
  int column = 0;
  for (const Diagnostic& d : r.errors) {
    if (d.message.empty() || d.line < 0 || d.column < 0) std::abort();
    // Sorted by position.
    if (d.line < line || (d.line == line && d.column < column)) std::abort();
    line = d.line;
    column = d.column;
    if (format(d, r.source).find(headline(d)) != 0) std::abort();
  }
  (void)r.report();
  if (r.config) {
    // A configuration equals itself and diffs empty against itself.
    if (!(*r.config == *r.config) || !diff(*r.config, *r.config).empty()) std::abort();
    (void)diff(Config{}, *r.config).summary();
  }
  return 0;
}
