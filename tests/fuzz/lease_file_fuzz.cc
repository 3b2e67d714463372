// libFuzzer target for dhcp/journal_format: any bytes as a lease file. Every
// record replayed must encode to a line that decodes to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dhcp/journal_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::dhcp;
  Replay r = replay(std::string_view(reinterpret_cast<const char*>(data), size));
  if (r.good_bytes > size) std::abort();
  for (const auto& l : r.leases) {
    std::string line;
    encode_record(l, line);
    auto back = decode_record(std::string_view(line).substr(0, line.size() - 1));
    if (!back || !(*back == l)) std::abort();
  }
  return 0;
}
