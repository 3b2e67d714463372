// An inclusive range of transport ports (or ICMP echo identifiers): a MAP-E
// port set (RFC 7597 §5.1) as the tunnel computes it and the firewall
// renders it.
#pragma once

#include <compare>
#include <cstdint>

namespace pairgate {

struct PortRange {
  std::uint16_t first = 0;
  std::uint16_t last = 0;  // >= first
  unsigned size() const { return unsigned{last} - first + 1; }
  bool contains(unsigned port) const { return first <= port && port <= last; }
  auto operator<=>(const PortRange&) const = default;
};

}  // namespace pairgate
