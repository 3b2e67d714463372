// The request target of an HTTP request ("/api/leases?offset=0&q=aa%3Abb"),
// split and decoded. Pure: no I/O; fuzzed (tests/fuzz/http_target_fuzz.cc).
//
// Bounded by construction: a target longer than kMaxTarget, more than
// kMaxParams parameters, or a key or value longer than its limit is refused
// before it is kept. The endpoint serves a handful of fixed paths and no
// files, so a path that is not plain is refused rather than normalised:
// "." or ".." segments (also percent-encoded), empty segments ("//"),
// backslashes, NUL and other control characters, and malformed %XX.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pairgate::http {

inline constexpr std::size_t kMaxTarget = 2048;
inline constexpr std::size_t kMaxParams = 16;
inline constexpr std::size_t kMaxKey = 32;
inline constexpr std::size_t kMaxValue = 256;

enum class TargetError {
  too_long,        // over kMaxTarget (414)
  not_origin_form, // does not start with '/' (absolute form, "*", empty)
  bad_escape,      // '%' not followed by two hex digits
  bad_character,   // NUL, control characters, backslash in the path
  dot_segment,     // "." or ".." as a path segment
  empty_segment,   // "//"
  too_many_params, // over kMaxParams
  param_too_long,  // a key over kMaxKey or a value over kMaxValue
};
std::string_view to_string(TargetError e);

struct Target {
  std::string path;  // decoded, starts with '/'
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order

  // The first value of `key`, if present.
  std::optional<std::string_view> param(std::string_view key) const;
};

std::expected<Target, TargetError> parse_target(std::string_view raw);

// A query parameter as an unsigned number within [min, max]; `fallback`
// when absent. nullopt when present but not such a number.
std::optional<std::uint64_t> number_param(const Target& t, std::string_view key, std::uint64_t fallback,
                                          std::uint64_t min, std::uint64_t max);

}  // namespace pairgate::http
