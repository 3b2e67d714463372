// Durations in the file: a number and a unit, repeated ("500ms", "1m30s").
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "conf/config.h"

namespace pairgate::conf {

// Units: ms, s, m, h, d; compound forms go from larger to smaller units, each
// once ("1m30s", not "30s1m"). A bare number is rejected: a duration needs a unit.
// Returns nullopt on malformed text or overflow (above 10 years).
std::optional<Duration> parse_duration(std::string_view text);

// The shortest exact form: "1500ms", "90s", "2m", "12h".
std::string format_duration(Duration d);

}  // namespace pairgate::conf
