#include "import/defaults.h"

#include <cctype>

#include "import/text.h"

namespace pairgate::import {

std::map<std::string, Assignment> read_assignments(std::string_view text, const std::string& file, Partial& out) {
  std::map<std::string, Assignment> vars;
  int n = 0;
  std::size_t count = 0;
  for (auto line : lines(text)) {
    ++n;
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    if (++count > kMaxItems) {
      out.warn(file, n, "more than " + std::to_string(kMaxItems) + " lines; the rest is not read");
      break;
    }
    if (line.starts_with("export ")) line = trim(line.substr(7));
    const auto eq = line.find('=');
    std::string_view key = line.substr(0, eq);
    bool ok = eq != std::string_view::npos && !key.empty() && !std::isdigit(static_cast<unsigned char>(key.front()));
    for (char c : key) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok) {
      out.warn(file, n, "'" + std::string(line) + "' is not a shell assignment (KEY=value); not read");
      continue;
    }
    std::string_view rest = line.substr(eq + 1);
    std::string value;
    if (!rest.empty() && (rest.front() == '"' || rest.front() == '\'')) {
      const char q = rest.front();
      const auto close = rest.find(q, 1);
      if (close == std::string_view::npos) {
        out.warn(file, n, std::string(key) + ": the quoted value is not closed; not read");
        continue;
      }
      value = std::string(rest.substr(1, close - 1));
      rest = trim(rest.substr(close + 1));
    } else {
      const auto end = rest.find_first_of(" \t");
      value = std::string(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : trim(rest.substr(end));
    }
    if (!rest.empty() && rest.front() != '#') {
      out.warn(file, n, std::string(key) + ": '" + std::string(rest) + "' after the value is not read");
    }
    if (value.find('$') != std::string::npos || value.find('`') != std::string::npos) {
      out.warn(file, n, std::string(key) + ": '" + value + "' uses the shell; taken as written");
    }
    vars[std::string(key)] = {value, n};
  }
  return vars;
}

Partial import_dhcpd_defaults(std::string_view text, const std::string& file) {
  Partial out;
  auto vars = read_assignments(text, file, out);
  for (const auto& [key, a] : vars) {
    if (key == "INTERFACESv4" || key == "INTERFACES") {
      if (key == "INTERFACES" && vars.contains("INTERFACESv4")) continue;
      for (auto w : words(a.value)) {
        if (interface_name(w)) {
          out.dhcp_interfaces.emplace_back(w);
        } else {
          out.warn(file, a.line, key + ": '" + std::string(w) + "' is not an interface name");
        }
      }
    } else if (key == "DHCPDv4_CONF") {
      if (a.value.empty() || a.value.front() != '/') {
        out.warn(file, a.line, "DHCPDv4_CONF: '" + a.value + "' is not an absolute path; /etc/dhcp/dhcpd.conf is read");
      } else {
        out.dhcpd_conf = a.value;
      }
    } else if (key == "INTERFACESv6" && !trim(a.value).empty()) {
      out.warn(file, a.line, "INTERFACESv6: pairgate serves DHCPv4 only; keep a DHCPv6 server for " + a.value);
    } else if (key == "OPTIONS" && !trim(a.value).empty()) {
      out.warn(file, a.line, "OPTIONS '" + a.value + "': dhcpd's command line is not carried over");
    } else if (key == "DHCPDv4_PID" || key == "DHCPDv6_PID" || key == "DHCPDv6_CONF" || key == "INTERFACESv6" ||
               key == "OPTIONS") {
      // Nothing for pairgate.
    } else {
      out.warn(file, a.line, key + ": not carried over");
    }
  }
  out.usable = !out.dhcp_interfaces.empty() || !out.dhcpd_conf.empty();
  return out;
}

namespace {

// Known DS-Lite AFTRs by address: the name to resolve instead, so that a
// change of address on the provider's side needs no change here.
struct KnownAftr {
  std::string_view address;
  std::string_view name;
  std::string_view provider;
};
constexpr KnownAftr kKnownAftrs[] = {
    // transix (Internet Multifeed): NTT East, then NTT West.
    {"2404:8e00::feed:100", "gw.transix.jp", "transix"},
    {"2404:8e00::feed:101", "gw.transix.jp", "transix"},
    {"2404:8e01::feed:100", "gw.transix.jp", "transix"},
    {"2404:8e01::feed:101", "gw.transix.jp", "transix"},
};

}  // namespace

Partial import_ipoe(std::string_view text, const std::string& file) {
  Partial out;
  auto vars = read_assignments(text, file, out);
  conf::Tunnel t;
  bool ok = true;
  auto need = [&](const char* key) -> const Assignment* {
    auto it = vars.find(key);
    if (it == vars.end() || it->second.value.empty()) {
      out.warn(file, 0, std::string(key) + " is not set; no tunnel is carried over");
      ok = false;
      return nullptr;
    }
    return &it->second;
  };
  const Assignment* name = need("TUNNEL_NAME");
  const Assignment* wan = need("WAN_INTERFACE");
  const Assignment* gw = need("GATEWAY_ADDR");
  if (name && !interface_name(name->value)) {
    out.warn(file, name->line, "TUNNEL_NAME: '" + name->value + "' is not an interface name");
    ok = false;
  }
  if (wan && !interface_name(wan->value)) {
    out.warn(file, wan->line, "WAN_INTERFACE: '" + wan->value + "' is not an interface name");
    ok = false;
  }
  std::optional<Ipv6Address> aftr;
  if (gw) {
    aftr = Ipv6Address::parse(gw->value);
    if (!aftr || aftr->is_link_local() || aftr->is_multicast()) {
      out.warn(file, gw->line, "GATEWAY_ADDR: '" + gw->value + "' is not a global IPv6 address");
      ok = false;
    }
  }
  for (const auto& [key, a] : vars) {
    if (key != "TUNNEL_NAME" && key != "WAN_INTERFACE" && key != "GATEWAY_ADDR") {
      out.warn(file, a.line, key + ": not carried over");
    }
  }
  if (!ok) return out;
  t.name = name->value;
  t.wan_interface = wan->value;
  t.aftr_addresses.push_back(*aftr);
  const std::string at = "tunnels[" + t.name + "]";
  out.comments[at] = "the seed's ipoe.sh and ipoe.service with " + file;
  for (const auto& k : kKnownAftrs) {
    if (Ipv6Address::parse(k.address) == aftr) {
      out.comments[at + ".aftr"] = "a " + std::string(k.provider) + " AFTR; to follow its DNS name instead: aftr: " +
                                   std::string(k.name);
      break;
    }
  }
  out.comments[at + ".local"] = "the stable global address of " + t.wan_interface + ", as ipoe.sh's mngtmpaddr";
  out.comments[at + ".encap_limit"] =
      "ipoe.sh left the kernel's encaplimit 4 (and MTU 1452); DS-Lite AFTRs expect none, and MTU 1460";
  out.comments[at + ".health"] =
      "the AFTR is pinged; for WAN failover add IPv4 targets beyond it (targets: [...]) and track the tunnel "
      "in the VRRP instances (track: [{tunnel: " + t.name + "}])";
  out.config.tunnels.push_back(std::move(t));
  out.usable = true;
  return out;
}

}  // namespace pairgate::import
