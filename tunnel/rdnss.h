// The DNS servers router advertisements announced (RDNSS, RFC 8106), per
// interface, with their lifetimes. No I/O and no clock: callers pass `now`.
//
// Bounded by construction: anyone on the WAN link can send router
// advertisements, so at most kPerInterface servers are kept per interface
// (the newest: a full list drops the server heard from least recently) and
// at most kInterfaces interfaces; what does not fit is counted in dropped().
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "tunnel/aftr.h"
#include "tunnel/resolvers.h"

namespace pairgate::tunnel {

class RdnssTable {
 public:
  static constexpr std::size_t kPerInterface = 8;
  static constexpr std::size_t kInterfaces = 16;
  // RFC 8106 §5.1: 0xffffffff is infinity; a year will do.
  static constexpr std::chrono::hours kInfinity{24 * 365};

  // The RDNSS options of one advert on `ifindex`. A lifetime of 0 withdraws
  // the servers it lists (RFC 8106 §5.1). Returns whether a server was
  // added or refreshed.
  bool update(int ifindex, const std::vector<RdnssOption>& options, TimePoint now);

  // The live servers of `ifindex`, most recently heard first. (Expired
  // ones are forgotten at the next update.)
  std::vector<Ipv6Address> servers(int ifindex, TimePoint now) const;

  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t expired() const { return expired_; }  // counted as updates forget them
  std::size_t interfaces() const { return table_.size(); }

 private:
  struct Learned {
    Ipv6Address server;
    TimePoint heard;    // when an advert last named it
    TimePoint expires;
  };
  void expire(std::vector<Learned>& list, TimePoint now);

  std::map<int, std::vector<Learned>> table_;
  std::uint64_t dropped_ = 0;
  std::uint64_t expired_ = 0;
};

}  // namespace pairgate::tunnel
