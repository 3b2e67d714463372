#include "import/netplan.h"

#include <yaml-cpp/yaml.h>

#include "import/text.h"

namespace pairgate::import {

namespace {

int line_of(const YAML::Node& n) { return n.Mark().line >= 0 ? n.Mark().line + 1 : 0; }

}  // namespace

Partial import_netplan(std::string_view text, const std::string& file) {
  Partial out;
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    out.warn(file, e.mark.line + 1, "YAML: " + e.msg + "; the file is not read");
    return out;
  }
  std::size_t visited = 0;
  try {
    const YAML::Node network = root.IsMap() ? root["network"] : YAML::Node();
    if (!network.IsDefined() || !network.IsMap()) {
      out.warn(file, line_of(root), "no 'network' mapping; the file is not read");
      return out;
    }
    for (const char* kind : {"ethernets", "bonds", "bridges", "vlans", "wifis"}) {
      const YAML::Node devices = network[kind];
      if (!devices.IsDefined() || !devices.IsMap()) continue;
      for (auto it = devices.begin(); it != devices.end(); ++it) {
        if (++visited > kMaxItems) {
          out.warn(file, line_of(it->first), "more than " + std::to_string(kMaxItems) + " entries; the rest is not read");
          return out;
        }
        std::string name = it->first.Scalar();
        const YAML::Node dev = it->second;
        if (!dev.IsMap()) continue;
        if (const YAML::Node n = dev["set-name"]; n.IsDefined() && n.IsScalar()) name = n.Scalar();
        if (!interface_name(name)) {
          out.warn(file, line_of(it->first), "'" + name + "' is not an interface name; skipped");
          continue;
        }
        auto& list = out.interface_addresses[name];
        const YAML::Node addresses = dev["addresses"];
        if (!addresses.IsDefined() || !addresses.IsSequence()) continue;
        for (const auto& a : addresses) {
          if (++visited > kMaxItems) break;
          // "192.0.2.1/24", or (netplan 0.106) {"192.0.2.1/24": {lifetime: 0}}.
          const YAML::Node text_node = a.IsMap() && a.size() == 1 ? a.begin()->first : a;
          auto p = text_node.IsScalar() ? IpPrefix::parse(text_node.Scalar()) : std::nullopt;
          if (!p) {
            out.warn(file, line_of(a), name + ": '" + (text_node.IsScalar() ? text_node.Scalar() : "?") +
                                           "' is not an address with a prefix length; skipped");
            continue;
          }
          list.push_back(*p);
          out.usable = true;
        }
      }
    }
  } catch (const YAML::Exception& e) {
    out.warn(file, e.mark.line + 1, "YAML: " + e.msg);
  }
  return out;
}

}  // namespace pairgate::import
