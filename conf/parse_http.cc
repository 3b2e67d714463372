#include <charconv>
#include <expected>
#include <string>

#include "conf/parse_sections.h"

namespace pairgate::conf {

namespace {

// "ADDR:PORT" or "[ADDR6]:PORT"; the error says what is wrong.
std::expected<HttpListen, std::string> parse_listen(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::unexpected("expected [IPV6]:PORT, as [::1]:9650");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::unexpected("expected ADDRESS:PORT, as 127.0.0.1:9650");
    host = text.substr(0, colon);
    if (host.find(':') != std::string_view::npos) {
      return std::unexpected("an IPv6 address goes in brackets: [ADDRESS]:PORT, as [::1]:9650");
    }
    port = text.substr(colon + 1);
  }
  auto address = IpAddress::parse(host);
  if (!address) return std::unexpected("'" + std::string(host) + "' is not an IP address");
  if (!address->is_v4() && text.front() != '[') return std::unexpected("an IPv6 address goes in brackets");
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || p < 1 || p > 65535 ||
      (port.size() > 1 && port.front() == '0')) {
    return std::unexpected("port '" + std::string(port) + "' is not a number in 1..65535");
  }
  return HttpListen{*address, static_cast<std::uint16_t>(p)};
}

}  // namespace

void parse_http(Reader& r, const YAML::Node& n, Http& out) {
  MapReader m(r, n, "http");
  out.mark = m.mark();
  if (!m.ok()) return;
  const YAML::Node listen = m.required("listen");
  r.for_each(listen, "http.listen", [&](const YAML::Node& e) {
    auto s = r.string(e, "http.listen");
    if (!s) return;
    auto l = parse_listen(*s);
    if (!l) {
      r.error(e, "http.listen: " + *s + ": " + l.error());
      return;
    }
    out.listen.push_back(*l);
    out.listen_marks.push_back(r.where(e));
  });
  out.allow = r.list<IpPrefix>(m.get("allow"), "http.allow", [&](const YAML::Node& e) -> std::optional<IpPrefix> {
    auto p = r.prefix(e, "http.allow", true);
    if (p && !p->is_network()) {
      r.error(e, "http.allow: " + p->to_string() + " has host bits set (did you mean " + p->network().to_string() +
                     "?)");
      return std::nullopt;
    }
    return p;
  });
}

}  // namespace pairgate::conf
