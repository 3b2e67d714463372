// ICMP and ICMPv6 echo (RFC 792, RFC 4443 §4) without I/O, for every probe
// pairgated sends: the DHCP server's conflict probes of relayed subnets and
// the tunnel's health probes. The request to send, and the reply as a raw
// socket reads it: IPv4 with its IP header first (raw(7)), ICMPv6 without
// (an IPv6 raw socket never passes the header up, RFC 3542 §3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "core/address.h"

namespace pairgate {

// Each reason a packet is not an echo reply, with its counter name.
enum class EchoError {
  truncated,          // shorter than its IPv4 header and 8 bytes of ICMP
  bad_version,        // not IPv4
  bad_header_length,  // IHL below 5 or past the packet
  bad_length,         // total length below the headers or past the packet
  not_icmp,           // protocol is not 1
  bad_checksum,       // the ICMP checksum does not verify (RFC 792)
  not_echo_reply,     // another ICMP type or code (not an error: raw sockets see all ICMP)
};
std::string_view to_string(EchoError e);
inline constexpr std::size_t kEchoErrorCount = 7;

struct EchoReply {
  Ipv4Address source{};  // IPv4: from the IP header; ICMPv6: unset (the socket's sender is the source)
  std::uint16_t id = 0;
  std::uint16_t sequence = 0;
};

// Type 8 (ICMPv6: 128), code 0, the id and sequence and 8 bytes of payload.
// IPv4 carries its checksum; for ICMPv6 the kernel fills it in (raw ICMPv6
// sockets always do, RFC 3542 §3.1).
std::vector<std::byte> echo_request(Family family, std::uint16_t id, std::uint16_t sequence);

// An IPv4 datagram or a bare ICMPv6 message as a raw socket delivers it.
std::expected<EchoReply, EchoError> parse_echo_reply(Family family, std::span<const std::byte> packet);

}  // namespace pairgate
