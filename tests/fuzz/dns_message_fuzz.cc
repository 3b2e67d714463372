// libFuzzer target for tunnel/dns: any bytes as the answer to the query
// for "aftr.example" with ID 0x0007 and to the one for "gw.transix.jp" with
// the ID in the first two bytes; an answer must carry addresses only when
// it parsed without error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "tunnel/dns.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::tunnel::dns;
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  auto a = parse_response(bytes, 7, "aftr.example");
  if ((a.error == Error::none) == a.addresses.empty()) std::abort();
  const std::uint16_t id = size >= 2 ? static_cast<std::uint16_t>(data[0] << 8 | data[1]) : 0;
  auto b = parse_response(bytes, id, "gw.transix.jp");
  if ((b.error == Error::none) == b.addresses.empty()) std::abort();
  return 0;
}
