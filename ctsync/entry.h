// One conntrack entry of a forwarded IPv4 WAN flow, as state sync carries
// it: the two tuples, the protocol state and the timeout. Plain data; the
// kernel adapter (ctsync/kernel.h) converts to and from libnetfilter_conntrack.
#pragma once

#include <compare>
#include <cstdint>

namespace pairgate::ctsync {

// IPPROTO_* numbers; only these are synced.
enum class L4 : std::uint8_t { icmp = 1, tcp = 6, udp = 17 };
bool valid_l4(std::uint8_t p);

// Addresses and ports in host byte order. For ICMP, `sport` is the echo
// identifier and `dport` is type << 8 | code (the kernel's ICMP tuple).
struct Tuple {
  std::uint32_t src = 0, dst = 0;
  std::uint16_t sport = 0, dport = 0;
  auto operator<=>(const Tuple&) const = default;
};

// What identifies an entry: the protocol and the original direction.
struct Key {
  L4 l4 = L4::tcp;
  Tuple orig;
  auto operator<=>(const Key&) const = default;
};

// The kernel's TCP_CONNTRACK_* range (none .. syn_sent2 and the rest);
// anything above is refused by the codec.
inline constexpr std::uint8_t kMaxTcpState = 9;
// Longer than the kernel's longest default (TCP established, 5 days).
inline constexpr std::uint32_t kMaxTimeoutSeconds = 7 * 24 * 3600;

struct Entry {
  Key key;
  Tuple reply;
  std::uint8_t tcp_state = 0;  // TCP only
  std::uint32_t timeout_s = 0;  // seconds left when it was read
  std::uint32_t mark = 0;
  std::uint32_t status = 0;  // IPS_* bits the kernel lets a new entry have (seen reply, assured)
  bool operator==(const Entry&) const = default;
};

}  // namespace pairgate::ctsync
