// libFuzzer target for core/arp: any bytes as the body of an AF_PACKET
// SOCK_DGRAM ARP frame, as the DHCP conflict prober and VRRP read them. A
// parsed message is exactly the first 28 bytes, and builds back to them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "core/arp.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate;
  auto m = arp::parse(std::span(reinterpret_cast<const std::byte*>(data), size));
  if (!m) return 0;
  if (size < 28) std::abort();
  const auto bytes = arp::build(*m);
  if (bytes.size() != 28 || std::memcmp(bytes.data(), data, 28) != 0) std::abort();
  auto back = arp::parse(bytes);
  if (!back || back->op != m->op || back->sender_mac != m->sender_mac || back->sender_ip != m->sender_ip ||
      back->target_mac != m->target_mac || back->target_ip != m->target_ip)
    std::abort();
  return 0;
}
