#include "http/target.h"

#include <charconv>

namespace pairgate::http {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 §2.1 percent-decoding; in a query, '+' is a space
// (application/x-www-form-urlencoded, what a browser's form sends).
std::expected<std::string, TargetError> decode(std::string_view s, bool query, std::size_t limit) {
  std::string out;
  out.reserve(std::min(s.size(), limit));
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) return std::unexpected(TargetError::bad_escape);
      const int hi = hex_value(s[i + 1]);
      const int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::unexpected(TargetError::bad_escape);
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (query && c == '+') {
      c = ' ';
    }
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return std::unexpected(TargetError::bad_character);
    if (!query && c == '\\') return std::unexpected(TargetError::bad_character);
    if (out.size() >= limit) return std::unexpected(TargetError::param_too_long);
    out += c;
  }
  return out;
}

}  // namespace

std::string_view to_string(TargetError e) {
  switch (e) {
    case TargetError::too_long: return "target too long";
    case TargetError::not_origin_form: return "target must be a path";
    case TargetError::bad_escape: return "malformed percent-encoding";
    case TargetError::bad_character: return "control character or backslash in the target";
    case TargetError::dot_segment: return "'.' or '..' in the path";
    case TargetError::empty_segment: return "empty segment in the path";
    case TargetError::too_many_params: return "too many query parameters";
    case TargetError::param_too_long: return "query parameter too long";
  }
  return "bad target";
}

std::optional<std::string_view> Target::param(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::expected<Target, TargetError> parse_target(std::string_view raw) {
  if (raw.size() > kMaxTarget) return std::unexpected(TargetError::too_long);
  if (raw.empty() || raw.front() != '/') return std::unexpected(TargetError::not_origin_form);
  // A fragment never reaches a server, but a hand-made request may carry one.
  if (auto hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);
  const auto qmark = raw.find('?');
  const std::string_view path = raw.substr(0, qmark);
  Target t;
  auto p = decode(path, false, kMaxTarget);
  if (!p) return std::unexpected(p.error());
  t.path = std::move(*p);
  // Segments are judged after decoding: "%2e%2e" is "..".
  for (std::size_t start = 1; start <= t.path.size();) {
    auto end = t.path.find('/', start);
    if (end == std::string::npos) end = t.path.size();
    const std::string_view seg = std::string_view(t.path).substr(start, end - start);
    if (seg == "." || seg == "..") return std::unexpected(TargetError::dot_segment);
    if (seg.empty() && end != t.path.size()) return std::unexpected(TargetError::empty_segment);
    start = end + 1;
  }
  if (qmark == std::string_view::npos) return t;
  std::string_view q = raw.substr(qmark + 1);
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    if (t.query.size() >= kMaxParams) return std::unexpected(TargetError::too_many_params);
    const auto eq = pair.find('=');
    auto k = decode(pair.substr(0, eq), true, kMaxKey);
    if (!k) return std::unexpected(k.error());
    auto v = decode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true, kMaxValue);
    if (!v) return std::unexpected(v.error());
    t.query.emplace_back(std::move(*k), std::move(*v));
  }
  return t;
}

std::optional<std::uint64_t> number_param(const Target& t, std::string_view key, std::uint64_t fallback,
                                          std::uint64_t min, std::uint64_t max) {
  auto v = t.param(key);
  if (!v) return fallback;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (v->empty() || ec != std::errc() || end != v->data() + v->size() || n < min || n > max) return std::nullopt;
  return n;
}

}  // namespace pairgate::http
