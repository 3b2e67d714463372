// libFuzzer target for peer/lease_wire: the first byte picks the parser (0
// hello part, 1 batch, 2 position, 3 records). Every message that parses
// encodes back to exactly its bytes (the encoding is canonical).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "peer/lease_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::peer;
  if (size == 0) return 0;
  const auto rest = std::as_bytes(std::span(data + 1, size - 1));
  const std::vector<std::byte> input(rest.begin(), rest.end());
  switch (data[0] % 4) {
    case 0:
      if (auto h = parse_lease_hello(rest); h && encode(*h) != input) std::abort();
      break;
    case 1:
      if (auto b = parse_batch(rest); b && encode(*b) != input) std::abort();
      break;
    case 2:
      if (auto p = parse_position(rest); p && encode(*p) != input) std::abort();
      break;
    default:
      if (auto r = parse_records(rest); r && encode_records(*r) != input) std::abort();
      break;
  }
  return 0;
}
