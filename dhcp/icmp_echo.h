// ICMP echo for the conflict probes of relayed subnets (RFC 792), without
// I/O: the request the prober sends, and the reply it waits for as a raw
// IPv4 socket reads it (the IPv4 header first, raw(7)).
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "core/address.h"

namespace pairgate::dhcp {

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
  Ipv4Address source;  // from the IPv4 header
  std::uint16_t id = 0;
  std::uint16_t sequence = 0;
};

// Type 8, code 0, the id and sequence, a 4-byte payload, the checksum.
std::vector<std::byte> echo_request(std::uint16_t id, std::uint16_t sequence);

// An IPv4 datagram as a raw ICMP socket delivers it.
std::expected<EchoReply, EchoError> parse_echo_reply(std::span<const std::byte> packet);

}  // namespace pairgate::dhcp
