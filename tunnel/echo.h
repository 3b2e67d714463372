// ICMP and ICMPv6 echo (RFC 792, RFC 4443 §4) for the health probes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/address.h"

namespace pairgate::tunnel {

// An echo request with `identifier`, `sequence` and 8 bytes of payload.
// IPv4 carries its checksum; for IPv6 the kernel fills it in (raw ICMPv6
// sockets always do, RFC 3542 §3.1).
std::vector<std::byte> build_echo_request(Family family, std::uint16_t identifier, std::uint16_t sequence);

struct EchoReply {
  std::uint16_t identifier = 0;
  std::uint16_t sequence = 0;
};

// An echo reply as a raw socket reads it: IPv4 with its IP header (header
// length, protocol 1 and the ICMP checksum checked), IPv6 without. nullopt
// for anything else.
std::optional<EchoReply> parse_echo_reply(Family family, std::span<const std::byte> packet);

}  // namespace pairgate::tunnel
