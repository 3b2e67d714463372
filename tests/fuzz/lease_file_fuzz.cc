// libFuzzer target for dhcp/journal_format and dhcp/lease_store: any bytes as
// a lease file, loaded as the daemon loads it. Every record replayed must
// encode to a line that decodes to itself, be within the lease bounds, and
// come back from the store as it went in.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dhcp/journal_format.h"
#include "dhcp/lease_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::dhcp;
  Replay r = replay(std::string_view(reinterpret_cast<const char*>(data), size));
  if (r.good_bytes > size) std::abort();
  LeaseStore store;
  for (const auto& l : r.leases) {
    if (l.hostname.size() > kMaxHostname || l.client.bytes().size() > ClientKey::kMaxKey) std::abort();
    std::string line;
    encode_record(l, line);
    auto back = decode_record(std::string_view(line).substr(0, line.size() - 1));
    if (!back || !(*back == l)) std::abort();
    store.put(l);
    if (store.find(l.address) != l) std::abort();
  }
  return 0;
}
