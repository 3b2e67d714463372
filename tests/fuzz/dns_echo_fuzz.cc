// libFuzzer target for core/icmp_echo as the tunnel's health probes read it (the probes
// are the tunnel's DNS-independent half, kept with the dns_* targets): any
// bytes as an IPv4 datagram and as a bare ICMPv6 message.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/icmp_echo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  (void)pairgate::parse_echo_reply(pairgate::Family::ipv4, bytes);
  (void)pairgate::parse_echo_reply(pairgate::Family::ipv6, bytes);
  return 0;
}
