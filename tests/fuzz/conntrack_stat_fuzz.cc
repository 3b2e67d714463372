// libFuzzer target for firewall/map_usage's readers of kernel text and
// messages: any bytes as /proc/net/stat/nf_conntrack, and as the attributes
// of a ctnetlink conntrack message (reply_icmp_id). A statistics text that
// parses has a header with insert_failed and at most the bounded rows; a
// refusal names a known reason.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>

#include "firewall/map_usage.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::firewall;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto s = parse_conntrack_stat(text);
  if (s) {
    if (s->cpus > kMaxConntrackStatRows) std::abort();
    if (text.find("insert_failed") == std::string_view::npos) std::abort();
    if (s->cpus == 0 && (s->insert_failed != 0 || s->entries)) std::abort();
  } else if (static_cast<std::size_t>(s.error()) >= kConntrackStatErrorCount) {
    std::abort();
  }
  (void)reply_icmp_id(std::span(reinterpret_cast<const std::byte*>(data), size));
  return 0;
}
