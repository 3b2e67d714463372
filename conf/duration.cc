#include "conf/duration.h"

#include <cctype>
#include <charconv>
#include <cstdint>

namespace pairgate::conf {

namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t ms;
};
// Longest suffix first so "ms" is not read as "m".
constexpr Unit kUnits[] = {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
constexpr std::int64_t kMaxMs = 10LL * 365 * 86'400'000;

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::int64_t previous_unit = 0;
  while (!text.empty()) {
    // from_chars would take a sign; a duration has none.
    if (text.front() < '0' || text.front() > '9') return std::nullopt;
    std::int64_t n = 0;
    auto [next, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc{}) return std::nullopt;
    text.remove_prefix(next - text.data());
    const Unit* unit = nullptr;
    for (const auto& u : kUnits) {
      if (text.starts_with(u.suffix)) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return std::nullopt;
    // Compound forms go from larger to smaller units, each once ("1h30m").
    if (previous_unit != 0 && unit->ms >= previous_unit) return std::nullopt;
    previous_unit = unit->ms;
    text.remove_prefix(unit->suffix.size());
    if (n > kMaxMs / unit->ms) return std::nullopt;
    total += n * unit->ms;
    if (total > kMaxMs) return std::nullopt;
  }
  return Duration(total);
}

std::string format_duration(Duration d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  for (auto it = std::rbegin(kUnits); it != std::rend(kUnits); ++it) {
    if (ms % it->ms == 0) return std::to_string(ms / it->ms) + std::string(it->suffix);
  }
  return std::to_string(ms) + "ms";
}

}  // namespace pairgate::conf
