// How much configuration the loader takes. Each limit is checked before the
// work it bounds, so a hostile or mistaken file costs at most what the limits
// allow: the largest accepted file loads in a fraction of a second and some
// tens of MiB (scripts/bench/config-scale measures it). docs/configuration.md
// lists them under "Limits".
#pragma once

#include <cstddef>
#include <string_view>

namespace pairgate::conf {

// A longer file is refused before any of it is parsed; at most this many
// bytes plus one are ever read.
inline constexpr std::size_t kMaxFileBytes = 1024 * 1024;

// YAML nodes (values, lists, mappings, aliases) in the document, counted by a
// streaming pass before the tree is built: yaml-cpp spends about 0.5 KiB per
// node, so this bounds the tree to some 50 MiB.
inline constexpr std::size_t kMaxNodes = 100'000;

// List elements and mapping entries the loader visits. An alias is visited
// again at each use, so this is what bounds a file that nests aliases of
// aliases; a file without aliases never comes near it.
inline constexpr std::size_t kMaxEntries = 200'000;

// Errors kept with their position and text; the rest are only counted.
inline constexpr std::size_t kMaxErrors = 100;

// Entries in any list, unless list_limit names another bound.
inline constexpr std::size_t kDefaultListLimit = 256;

struct ListLimit {
  std::size_t max;
  std::string_view why;  // empty, or why this bound (for the error)
};

// The bound of the list that errors name `what` ("notify.exec",
// "reservations", ...): kDefaultListLimit unless the list has its own.
ListLimit list_limit(std::string_view what);

// Keys of the sysctl mapping.
inline constexpr std::size_t kMaxSysctlKeys = 256;

}  // namespace pairgate::conf
