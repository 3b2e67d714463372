// libFuzzer target for import/defaults.cc: any bytes as /etc/default/ipoe and /etc/default/isc-dhcp-
// server. Every warning names its file, and what is carried over prints (conf::print).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "conf/print.h"
#include "import/defaults.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto p = pairgate::import::import_ipoe(text, "ipoe");
  auto d = pairgate::import::import_dhcpd_defaults(text, "isc-dhcp-server");
  if (d.dhcp_interfaces.size() > size) std::abort();
  for (const auto& w : p.warnings) {
    if (w.file.empty() || w.line < 0) std::abort();
  }
  p.config.node = "fuzz";
  (void)pairgate::conf::print(p.config);
  return 0;
}
