// The AFTR addresses of one tunnel and the one in use.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "core/address.h"

namespace pairgate::tunnel {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Duration = std::chrono::steady_clock::duration;

// Every address is kept; one is used; a failure moves to the next, round
// the list. Resolved addresses expire with their TTL, bounded to
// [kMinTtl, kMaxTtl] so that a TTL of 0 does not turn into a query storm.
class AftrSet {
 public:
  static constexpr std::chrono::seconds kMinTtl{30};
  static constexpr std::chrono::seconds kMaxTtl{86400};

  // Addresses from the configuration: they never expire.
  void set_static(std::vector<Ipv6Address> addresses);
  // Addresses from DNS. The address in use stays in use when it is still
  // among them; otherwise the first is used. Returns whether the address
  // in use changed.
  bool set_resolved(std::vector<Ipv6Address> addresses, std::chrono::seconds ttl, TimePoint now);

  std::optional<Ipv6Address> current() const;
  // The address in use failed: the next one (the same one when alone).
  std::optional<Ipv6Address> fail();

  // When the resolved addresses should be looked up again; none for static.
  std::optional<TimePoint> expires() const { return expires_; }
  const std::vector<Ipv6Address>& addresses() const { return addresses_; }
  std::size_t index() const { return index_; }

 private:
  std::vector<Ipv6Address> addresses_;
  std::size_t index_ = 0;
  std::optional<TimePoint> expires_;
};

}  // namespace pairgate::tunnel
