#include <unistd.h>

#include <cctype>
#include <charconv>

#include "conf/parse_sections.h"

namespace pairgate::conf {

bool valid_interface_name(std::string_view name) {
  // IFNAMSIZ - 1 bytes, and what dev_valid_name() in the kernel refuses;
  // also quotes and backslashes, which the kernel takes but an nftables
  // script (the firewall's iifname) could not quote.
  if (name.empty() || name.size() > 15 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == ':' || c == '\0' || c == '"' || c == '\\' ||
        std::isspace(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::optional<std::string> read_interface(Reader& r, const YAML::Node& n, std::string_view what) {
  auto v = r.string(n, what);
  if (v && v->size() > 15) {
    r.error(n, std::string(what) + ": '" + *v + "' is longer than 15 bytes (IFNAMSIZ - 1)");
    return std::nullopt;
  }
  if (v && !valid_interface_name(*v)) {
    r.error(n, std::string(what) + ": '" + *v + "' is not an interface name (no '/', ':', quotes, backslashes or spaces)");
    return std::nullopt;
  }
  return v;
}

namespace {

bool valid_email(std::string_view a) {
  auto at = a.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < a.size() &&
         a.find('@', at + 1) == std::string_view::npos &&
         a.find_first_of(" \t\r\n<>") == std::string_view::npos;
}

void parse_email(Reader& r, const YAML::Node& n, Email& out) {
  MapReader m(r, n, "notify.email");
  r.for_each(m.required("to"), "notify.email.to", [&](const YAML::Node& e) {
    if (auto v = r.string(e, "notify.email.to")) {
      if (valid_email(*v)) {
        out.to.push_back(*v);
      } else {
        r.error(e, "notify.email.to: '" + *v + "' is not an e-mail address");
      }
    }
  });
  if (auto f = m.required("from"); f.IsDefined()) {
    if (auto v = r.string(f, "notify.email.from")) {
      if (valid_email(*v)) {
        out.from = *v;
      } else {
        r.error(f, "notify.email.from: '" + *v + "' is not an e-mail address");
      }
    }
  }
  if (auto s = m.get("server"); s.IsDefined()) {
    if (auto v = r.string(s, "notify.email.server")) {
      // host, host:port, [v6] or [v6]:port; a bare v6 address has no port.
      std::string host = *v;
      std::optional<std::string> port;
      bool ok = true;
      if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        ok = close != std::string::npos &&
             (close + 1 == host.size() || host[close + 1] == ':');
        if (ok) {
          if (close + 1 < host.size()) port = host.substr(close + 2);
          host = host.substr(1, close - 1);
          ok = Ipv6Address::parse(host).has_value();
        }
      } else if (auto colon = host.rfind(':'); colon != std::string::npos &&
                                                host.find(':') == colon) {
        port = host.substr(colon + 1);
        host = host.substr(0, colon);
      }
      unsigned p = 25;
      ok = ok && !host.empty();
      if (port) {
        auto [next, ec] = std::from_chars(port->data(), port->data() + port->size(), p);
        ok = ok && !port->empty() && ec == std::errc{} && next == port->data() + port->size() && p >= 1 &&
             p <= 65535;
      }
      if (!ok) {
        r.error(s, "notify.email.server: expected HOST or HOST:PORT, got '" + *v + "'");
      } else {
        out.server_host = host;
        out.server_port = static_cast<std::uint16_t>(p);
      }
    }
  }
  m.read("timeout", out.timeout, 1s, 10min);
}

}  // namespace

void parse_notify(Reader& r, const YAML::Node& n, Notify& out) {
  MapReader m(r, n, "notify");
  if (m.has("email")) {
    if (auto e = m.get("email"); !e.IsNull()) parse_email(r, e, out.email.emplace());
  }
  r.for_each(m.get("exec"), "notify.exec", [&](const YAML::Node& e) {
    auto v = r.string(e, "notify.exec");
    if (!v) return;
    std::string program = v->substr(0, v->find(' '));
    if (program.empty() || program.front() != '/') {
      r.error(e, "notify.exec: '" + program + "' must be an absolute path");
    } else if (::access(program.c_str(), X_OK) != 0) {
      r.error(e, "notify.exec: '" + program + "' is not an executable file");
    } else {
      out.exec.push_back(*v);
    }
  });
}

}  // namespace pairgate::conf
