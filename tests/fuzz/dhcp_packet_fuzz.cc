// libFuzzer target for dhcp/packet: any bytes as a DHCP message; a parsed
// message must build and parse back to the same options.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dhcp/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto m = pairgate::dhcp::parse(std::span(reinterpret_cast<const std::byte*>(data), size));
  if (!m) return 0;
  auto enc = pairgate::dhcp::build(*m, 65535);
  auto back = pairgate::dhcp::parse(enc.bytes);
  if (!back) std::abort();
  if (enc.dropped.empty() && back->options != m->options) std::abort();
  return 0;
}
