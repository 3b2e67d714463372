#include "import/command.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>

#include <filesystem>
#include <ostream>
#include <set>

#include "conf/parser.h"
#include "conf/print.h"
#include "import/assemble.h"
#include "import/defaults.h"
#include "import/dhcpd.h"
#include "import/iptables.h"
#include "import/keepalived.h"
#include "import/netplan.h"
#include "import/sources.h"
#include "import/sysctl.h"
#include "import/text.h"

namespace pairgate::import {

namespace {

// The running host's IPv4 addresses by interface.
std::map<std::string, std::vector<IpPrefix>> live_addresses() {
  std::map<std::string, std::vector<IpPrefix>> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || i->ifa_netmask == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    const auto* a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
    const auto* m = reinterpret_cast<const sockaddr_in*>(i->ifa_netmask);
    const unsigned len = static_cast<unsigned>(__builtin_popcount(m->sin_addr.s_addr));
    out[i->ifa_name].push_back(IpPrefix(Ipv4Address(ntohl(a->sin_addr.s_addr)), len));
  }
  ::freeifaddrs(list);
  return out;
}

bool node_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// One source: its text, from an explicit file or its usual path under the
// root (where a missing file just means the program is not there).
struct Reader {
  const RootSources& root;
  const RootSources& host;
  std::ostream& err;
  std::vector<std::string> read_files;
  bool failed = false;

  struct Text {
    const Sources* sources;
    std::string path;  // in `sources`
    std::string text;
    std::string shown;
  };

  std::optional<Text> get(const std::optional<std::string>& explicit_path, const std::string& usual) {
    if (explicit_path) {
      const std::string path = std::filesystem::absolute(*explicit_path).string();
      auto t = host.read(path);
      if (!t) {
        err << "pairgatectl import: cannot read " << *explicit_path << ": " << t.error() << "\n";
        failed = true;
        return std::nullopt;
      }
      read_files.push_back(path);
      return Text{&host, path, *t, *explicit_path};
    }
    std::error_code ec;
    if (!std::filesystem::exists(root.host_path(usual), ec)) return std::nullopt;
    auto t = root.read(usual);
    if (!t) {
      err << root.display(usual) << ": warning: cannot read it: " << t.error() << "\n";
      return std::nullopt;
    }
    read_files.push_back(root.display(usual));
    return Text{&root, usual, *t, root.display(usual)};
  }
};

}  // namespace

int run(const Options& o, std::ostream& out, std::ostream& err) {
  const RootSources root(o.root);
  const RootSources host("/");
  std::error_code ec;
  if (!std::filesystem::is_directory(o.root, ec)) {
    err << "pairgatectl import: " << o.root << " is not a directory\n";
    return 1;
  }
  Reader reader{root, host, err, {}, false};
  Parts parts;

  parts.node = o.node;
  if (parts.node.empty()) {
    if (auto h = root.read("/etc/hostname")) {
      auto w = words(*h);
      if (!w.empty()) parts.node = std::string(w.front());
    } else if (o.root == "/") {
      char name[256] = {};
      if (::gethostname(name, sizeof name - 1) == 0) parts.node = name;
    }
    // A fully qualified name: the host part.
    if (auto dot = parts.node.find('.'); dot != std::string::npos) parts.node.resize(dot);
  }
  if (!node_name(parts.node)) {
    err << "pairgatectl import: " << (parts.node.empty() ? std::string("no host name found")
                                                         : "'" + parts.node + "' is not a node name")
        << " (ROOT/etc/hostname); give one with --node NAME\n";
    return 1;
  }

  if (auto t = reader.get(o.keepalived, "/etc/keepalived/keepalived.conf")) {
    parts.keepalived = import_keepalived(*t->sources, t->path, parts.node);
  }
  std::string dhcpd_path = "/etc/dhcp/dhcpd.conf";
  if (auto t = reader.get(o.dhcpd_defaults, "/etc/default/isc-dhcp-server")) {
    parts.dhcpd_defaults = import_dhcpd_defaults(t->text, t->shown);
    if (!parts.dhcpd_defaults->dhcpd_conf.empty()) dhcpd_path = parts.dhcpd_defaults->dhcpd_conf;
  }
  if (auto t = reader.get(o.dhcpd, dhcpd_path)) {
    parts.dhcpd = import_dhcpd(t->text, t->shown);
    parts.dhcpd_file = t->shown;
  }
  if (auto t = reader.get(o.ipoe, "/etc/default/ipoe")) parts.ipoe = import_ipoe(t->text, t->shown);
  if (auto t = reader.get(o.rules_v4, "/etc/iptables/rules.v4")) {
    parts.rules_v4 = import_iptables(t->text, t->shown, Family::ipv4);
  }
  if (auto t = reader.get(o.rules_v6, "/etc/iptables/rules.v6")) {
    parts.rules_v6 = import_iptables(t->text, t->shown, Family::ipv6);
  }

  // sysctl: systemd-sysctl's order (sysctl.d by name), then sysctl.conf;
  // a file linked from sysctl.d (Ubuntu's 99-sysctl.conf) is read once.
  std::vector<std::optional<std::string>> sysctl_explicit(o.sysctl.begin(), o.sysctl.end());
  std::vector<std::string> sysctl_usual;
  if (o.sysctl.empty()) {
    sysctl_usual = root.glob("/etc/sysctl.d/*.conf");
    sysctl_usual.push_back("/etc/sysctl.conf");
    sysctl_explicit.assign(sysctl_usual.size(), std::nullopt);
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < sysctl_explicit.size(); ++i) {
    const std::string usual = i < sysctl_usual.size() ? sysctl_usual[i] : std::string();
    const std::string real = sysctl_explicit[i] ? std::filesystem::weakly_canonical(*sysctl_explicit[i], ec).string()
                                                : std::filesystem::weakly_canonical(root.host_path(usual), ec).string();
    if (!seen.insert(real).second) continue;
    if (auto t = reader.get(sysctl_explicit[i], usual)) parts.sysctl.push_back(import_sysctl(t->text, t->shown));
  }
  std::vector<std::optional<std::string>> netplan_explicit(o.netplan.begin(), o.netplan.end());
  std::vector<std::string> netplan_usual;
  if (o.netplan.empty()) {
    netplan_usual = root.glob("/etc/netplan/*.yaml");
    netplan_explicit.assign(netplan_usual.size(), std::nullopt);
  }
  for (std::size_t i = 0; i < netplan_explicit.size(); ++i) {
    const std::string usual = i < netplan_usual.size() ? netplan_usual[i] : std::string();
    if (auto t = reader.get(netplan_explicit[i], usual)) parts.netplan.push_back(import_netplan(t->text, t->shown));
  }
  if (reader.failed) return 1;
  if (o.live && o.root == "/") parts.live_addresses = live_addresses();

  parts.header = "pairgate.yaml for " + parts.node + ", made by `pairgatectl import` from:\n";
  for (const auto& f : reader.read_files) parts.header += "  " + f + "\n";
  parts.header +=
      "Check it with `pairgated --config FILE --check`; `pairgated --config FILE --print-config`\n"
      "shows it with every default filled in. The reference is pairgate.yaml(5).";

  Assembled a = assemble(std::move(parts));
  for (const auto& w : a.warnings) err << format(w) << "\n";
  if (!a.usable) {
    err << "pairgatectl import: nothing to import under " << o.root
        << " (keepalived, isc-dhcp-server, /etc/default/ipoe, iptables-persistent, sysctl)\n";
    return 1;
  }
  const std::string text = conf::print(a.config, a.print);
  // What is printed must pass --check.
  const auto checked = conf::parse(text, "<imported>");
  if (!checked.config) {
    err << "pairgatectl import: the result does not pass --check on this host:\n"
        << checked.report() << checked.summary("the imported configuration") << "\n";
    out << text;
    return 1;
  }
  out << text;
  return 0;
}

}  // namespace pairgate::import
