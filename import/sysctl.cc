#include "import/sysctl.h"

#include <algorithm>
#include <cctype>

#include "import/text.h"

namespace pairgate::import {

namespace {

// "net/ipv4/ip_forward" is "net.ipv4.ip_forward" (sysctl.d(5)).
std::string dotted(std::string_view key) {
  std::string k(key);
  if (k.find('/') != std::string::npos) std::replace(k.begin(), k.end(), '/', '.');
  return k;
}

bool forwarding(std::string_view k) {
  if (k == "net.ipv4.ip_forward") return true;
  for (std::string_view family : {"net.ipv4.conf.", "net.ipv6.conf."}) {
    if (k.starts_with(family) && k.ends_with(".forwarding") && k.size() > family.size() + 11) {
      const auto iface = k.substr(family.size(), k.size() - family.size() - 11);
      return iface.find('.') == std::string_view::npos && interface_name(iface);
    }
  }
  return false;
}

}  // namespace

Partial import_sysctl(std::string_view text, const std::string& file) {
  Partial out;
  int n = 0;
  std::size_t count = 0;
  for (auto line : lines(text)) {
    ++n;
    line = trim(line);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (++count > kMaxItems) {
      out.warn(file, n, "more than " + std::to_string(kMaxItems) + " lines; the rest is not read");
      break;
    }
    if (line.front() == '-') line.remove_prefix(1);  // "-key = value": errors ignored
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      out.warn(file, n, "'" + std::string(line) + "' is not KEY = VALUE; not read");
      continue;
    }
    const std::string key = dotted(trim(line.substr(0, eq)));
    const std::string value(trim(line.substr(eq + 1)));
    if (key.empty() || value.empty()) {
      out.warn(file, n, "'" + std::string(line) + "' has no key or no value; not read");
      continue;
    }
    if (key.find_first_of("*?[") != std::string::npos) {
      out.warn(file, n, key + ": a pattern; left to systemd-sysctl");
      continue;
    }
    if (!forwarding(key)) {
      out.warn(file, n, key + ": left to systemd-sysctl (pairgate sets only the forwarding keys)");
      continue;
    }
    auto& list = out.config.sysctl;
    std::erase_if(list, [&](const conf::SysctlEntry& e) { return e.key == key; });
    list.push_back({key, value, {}});
    out.usable = true;
  }
  return out;
}

}  // namespace pairgate::import
