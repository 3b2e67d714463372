// libFuzzer target for core/icmp_echo (the DHCP prober's replies): any bytes
// as a raw ICMP socket's datagram. A reply that parses must come from a
// packet whose ICMP part verifies, and a request we build must verify.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "core/byte_io.h"
#include "core/icmp_echo.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate;
  const auto bytes = std::span(reinterpret_cast<const std::byte*>(data), size);
  auto r = parse_echo_reply(Family::ipv4, bytes);
  if (r) {
    const std::size_t header = (std::to_integer<unsigned>(bytes[0]) & 15u) * 4u;
    if (header < 20 || header + 8 > size) std::abort();
  } else if (static_cast<std::size_t>(r.error()) >= kEchoErrorCount) {
    std::abort();
  }
  if (size >= 4) {
    const auto id = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
    const auto seq = static_cast<std::uint16_t>(data[2] << 8 | data[3]);
    auto request = echo_request(Family::ipv4, id, seq);
    if (internet_checksum(request) != 0) std::abort();
  }
  return 0;
}
