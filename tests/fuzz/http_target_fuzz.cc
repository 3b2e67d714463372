// Fuzz target: any bytes as an HTTP request target. What parses is a plain
// path (no dot segments, no control characters) with bounded parameters.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "http/target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::http;
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  auto t = parse_target(raw);
  if (!t) {
    if (to_string(t.error()).empty()) std::abort();
    return 0;
  }
  if (t->path.empty() || t->path.front() != '/' || t->path.find("/../") != std::string::npos ||
      t->path.find("//") != std::string::npos || t->path.ends_with("/..") || t->query.size() > kMaxParams) {
    std::abort();
  }
  for (char c : t->path) {
    if (static_cast<unsigned char>(c) < 0x20 || c == '\\') std::abort();
  }
  for (const auto& [k, v] : t->query) {
    if (k.size() > kMaxKey || v.size() > kMaxValue) std::abort();
  }
  (void)number_param(*t, "offset", 0, 0, 1000);
  return 0;
}
