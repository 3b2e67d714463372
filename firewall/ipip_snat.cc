#include "firewall/ipip_snat.h"

namespace pairgate::firewall {

std::string render_ipip_snat(const conf::Config& c) {
  std::string rules;
  for (const auto& t : c.tunnels) {
    if (!t.ipip || t.ipip->snat == conf::Snat::off || !t.ipv4_address) continue;
    // auto: a source inside the block is already the provider's address.
    const std::string keep = t.ipip->snat == conf::Snat::automatic ? "ip saddr != " + t.ipip->block.to_string() + " " : "";
    rules += "\t\toifname \"" + t.name + "\" meta nfproto ipv4 " + keep + "counter snat ip to " +
             t.ipv4_address->address().to_string() + " comment \"" + t.name + ": the fixed IPv4 address\"\n";
  }
  if (rules.empty()) return rules;
  return "\n\tchain ipip_snat {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n" + rules + "\t}\n";
}

}  // namespace pairgate::firewall
