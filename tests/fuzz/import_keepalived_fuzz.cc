// libFuzzer target for import/keepalived.cc: any bytes as keepalived.conf, with an include of itself
// and of a second file. Every warning names its file, and what is carried over prints (conf::print).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "conf/print.h"
#include "import/keepalived.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const pairgate::import::MapSources files(std::map<std::string, std::string>{
      {"/etc/keepalived/keepalived.conf", text + "\ninclude vrrp.conf\ninclude keepalived.conf\n"},
      {"/etc/keepalived/vrrp.conf", text}});
  auto p = pairgate::import::import_keepalived(files, "/etc/keepalived/keepalived.conf", "beagle");
  for (const auto& w : p.warnings) {
    if (w.file.empty() || w.line < 0) std::abort();
  }
  p.config.node = "fuzz";
  (void)pairgate::conf::print(p.config);
  return 0;
}
