// libFuzzer target for tunnel/resolvers: any bytes as router advertisement
// options (parse_rdnss) and as /etc/resolv.conf text (parse_resolv_conf).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "tunnel/resolvers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  std::size_t servers = 0;
  for (const auto& o : pairgate::tunnel::parse_rdnss(bytes)) servers += o.servers.size();
  if (servers * 16 > size) std::abort();
  auto list = pairgate::tunnel::parse_resolv_conf(std::string_view(reinterpret_cast<const char*>(data), size));
  if (list.size() * 12 > size) std::abort();  // "nameserver X" is at least 12 bytes
  return 0;
}
