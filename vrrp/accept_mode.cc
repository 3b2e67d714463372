#include "vrrp/accept_mode.h"

namespace pairgate::vrrp {

namespace {

std::string set_of(const std::vector<IpAddress>& addresses, bool v4) {
  std::string out;
  for (const auto& a : addresses) {
    if (a.is_v4() != v4) continue;
    out += (out.empty() ? "" : ", ") + a.to_string();
  }
  return out.empty() ? out : "{ " + out + " }";
}

}  // namespace

std::string render_accept_delete() {
  // "table" first creates it when missing, so "delete" never fails.
  return std::string("table inet ") + kAcceptTable + "\ndelete table inet " + kAcceptTable + "\n";
}

std::string render_accept_script(const std::vector<NoAccept>& entries) {
  if (entries.empty()) return {};
  std::string out = render_accept_delete();
  out += std::string("table inet ") + kAcceptTable + " {\n";
  out += "\tchain input {\n";
  // Before the firewall's own table (priority filter), so that its accept
  // rules cannot let these packets in.
  out += "\t\ttype filter hook input priority filter - 10; policy accept;\n";
  for (const auto& e : entries) {
    const std::string comment = " comment \"" + e.instance + ": accept_mode false (RFC 5798 6.4.3)\"";
    if (auto v4 = set_of(e.addresses, true); !v4.empty()) out += "\t\tip daddr " + v4 + " counter drop" + comment + "\n";
    if (auto v6 = set_of(e.addresses, false); !v6.empty()) {
      out += "\t\tip6 daddr " + v6 + " meta l4proto != ipv6-icmp counter drop" + comment + "\n";
      out += "\t\tip6 daddr " + v6 + " icmpv6 type != { nd-neighbor-solicit, nd-neighbor-advert } counter drop" +
             comment + "\n";
    }
  }
  out += "\t}\n}\n";
  return out;
}

}  // namespace pairgate::vrrp
