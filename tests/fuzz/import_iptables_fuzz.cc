// libFuzzer target for import/iptables.cc: any bytes as rules.v4 and rules.v6 (iptables-save output).
// Every warning names its file, and what is carried over prints (conf::print).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "conf/print.h"
#include "import/iptables.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto p = pairgate::import::import_iptables(text, "rules.v4", pairgate::Family::ipv4);
  auto v6 = pairgate::import::import_iptables(text, "rules.v6", pairgate::Family::ipv6);
  if (v6.config.firewall) (void)pairgate::conf::print(v6.config);
  for (const auto& w : p.warnings) {
    if (w.file.empty() || w.line < 0) std::abort();
  }
  p.config.node = "fuzz";
  (void)pairgate::conf::print(p.config);
  return 0;
}
