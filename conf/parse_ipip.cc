// type: ipip (fixed IPv4 address over IPv6): the keys dslite does not have.
#include "conf/parse_sections.h"

#include <sys/stat.h>

#include <array>

namespace pairgate::conf {

namespace {

constexpr std::size_t kMaxUrl = 2048;

std::optional<Ipv6Address> interface_id(Reader& r, const YAML::Node& n) {
  auto a = r.ip(n, "interface_id");
  if (!a) return std::nullopt;
  const char* why = nullptr;
  if (a->is_v4()) {
    why = "is not an IPv6 interface identifier";
  } else {
    const auto& b = a->v6().bytes();
    bool high = false, low = false;
    for (int i = 0; i < 8; ++i) high |= b[i] != 0;
    for (int i = 8; i < 16; ++i) low |= b[i] != 0;
    if (high) why = "sets bits in the upper 64 (the prefix's); write the identifier alone, e.g. ::feed";
    if (!low) why = "is zero";
  }
  if (why) {
    r.error(n, "interface_id: " + a->to_string() + " " + why);
    return std::nullopt;
  }
  return a->v6();
}

// An http:// or https:// URL with no blank or control character.
std::optional<std::string> update_url(Reader& r, const YAML::Node& n) {
  auto s = r.string(n, "update_url");
  if (!s) return std::nullopt;
  const bool scheme = s->starts_with("https://") || s->starts_with("http://");
  bool clean = s->size() <= kMaxUrl;
  for (unsigned char c : *s) clean &= c > 0x20 && c != 0x7f;
  if (!scheme || !clean || s->ends_with("://")) {
    r.error(n, "update_url: expected an http:// or https:// URL of at most " + std::to_string(kMaxUrl) +
                   " characters without blanks, got '" + s->substr(0, 80) + "'");
    return std::nullopt;
  }
  return s;
}

}  // namespace

void parse_ipip(Reader& r, MapReader& m, Tunnel& t) {
  Ipip x;
  if (auto a = m.get("aftr"); a.IsDefined()) r.error(a, "aftr: not a key of type ipip; the provider's end is `remote`");
  if (auto a = m.required("ipv4_address"); a.IsDefined()) {
    // 203.0.113.10 (a /32), or 203.0.113.9/29: the address, in the block routed to it.
    if (auto p = r.prefix(a, "ipv4_address", true); p && !p->address().is_v4()) {
      r.error(a, "ipv4_address: expected the fixed IPv4 address (203.0.113.10 or 203.0.113.9/29), got " + p->to_string());
    } else if (p && p->address().v4().to_uint() == 0) {
      r.error(a, "ipv4_address: 0.0.0.0 is not an address");
    } else if (p) {
      x.block = p->network();
      t.ipv4_address = IpPrefix(p->address(), 32);
    }
  }
  if (auto v = m.get("interface_id"); v.IsDefined()) {
    x.interface_id = interface_id(r, v);
    if (t.local) r.error(v, "interface_id: local is set too; give one of them");
  }
  if (auto v = m.get("snat"); v.IsDefined()) {
    if (auto i = r.choice(v, "snat", {"auto", "true", "false"})) x.snat = std::array{Snat::automatic, Snat::on, Snat::off}[*i];
  }
  if (auto v = m.get("update_url"); v.IsDefined()) {
    if (auto s = update_url(r, v)) x.update_url = *s;
  }
  if (auto v = m.get("update_credentials"); v.IsDefined()) {
    if (auto s = r.string(v, "update_credentials"); s && !s->starts_with("/")) {
      r.error(v, "update_credentials: must be an absolute file path");
    } else if (s) {
      x.update_credentials = *s;
      if (struct stat st {}; ::stat(s->c_str(), &st) == 0) {
        x.credentials_stamp = {static_cast<std::uint64_t>(st.st_ino), static_cast<std::uint64_t>(st.st_size),
                               std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
      }
      if (!m.has("update_url")) r.error(v, "update_credentials: no update_url to use them with");
    }
  }
  t.ipip = std::move(x);
}

}  // namespace pairgate::conf
