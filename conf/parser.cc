#include "conf/parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "conf/parse_sections.h"
#include "conf/validate.h"

namespace pairgate::conf {

namespace {

void parse_control(Reader& r, const YAML::Node& n, Control& out) {
  MapReader m(r, n, "control");
  if (auto s = m.get("socket"); s.IsDefined()) {
    if (auto v = r.string(s, "control.socket")) {
      if (v->empty() || v->front() != '/') {
        r.error(s, "control.socket: must be an absolute path");
      } else if (v->size() >= 108) {  // sizeof(sockaddr_un::sun_path)
        r.error(s, "control.socket: path is longer than 107 bytes");
      } else {
        out.socket = *v;
      }
    }
  }
  if (auto s = m.get("mode"); s.IsDefined()) {
    if (auto v = r.string(s, "control.mode")) {
      unsigned mode = 0;
      bool ok = !v->empty() && v->size() <= 4;
      for (char c : *v) {
        ok = ok && c >= '0' && c <= '7';
        mode = mode * 8 + static_cast<unsigned>(c - '0');
      }
      if (!ok || mode > 0777) {
        r.error(s, "control.mode: expected octal permissions such as \"0660\", got '" + *v + "'");
      } else if ((mode & 0600) != 0600) {
        r.error(s, "control.mode: the owner needs read and write (0600)");
      } else {
        out.mode = mode;
      }
    }
  }
  m.read("group", out.group);
  out.group_mark = Reader::mark(m.get("group"));
}

void parse_logging(Reader& r, const YAML::Node& n, Logging& out) {
  MapReader m(r, n, "logging");
  if (auto v = m.get("level"); v.IsDefined()) {
    if (auto i = r.choice(v, "logging.level", {"trace", "debug", "info", "warn", "error"})) {
      out.level = static_cast<LogLevel>(*i);
    }
  }
  if (auto v = m.get("target"); v.IsDefined()) {
    if (auto i = r.choice(v, "logging.target", {"auto", "stderr", "journald"})) {
      out.target = static_cast<LogTarget>(*i);
    }
  }
}

void parse_sysctl(Reader& r, const YAML::Node& n, std::vector<SysctlEntry>& out) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!n.IsMap()) {
    r.error(n, "sysctl: expected a mapping of sysctl keys to values");
    return;
  }
  for (auto it = n.begin(); it != n.end(); ++it) {
    auto key = r.string(it->first, "sysctl key");
    auto value = r.string(it->second, "sysctl value");
    if (!key || !value) continue;
    bool ok = !key->empty() && key->front() != '.' && key->back() != '.' &&
              key->find("..") == std::string::npos;
    for (char c : *key) {
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-' || c == '/');
    }
    if (!ok) {
      r.error(it->first, "sysctl: '" + *key + "' is not a sysctl name");
      continue;
    }
    auto first = std::find_if(out.begin(), out.end(), [&](const SysctlEntry& e) { return e.key == *key; });
    if (first != out.end()) {
      r.error(it->first, "sysctl: duplicate key '" + *key + "' (first at line " +
                             std::to_string(first->mark.line) + ")");
      continue;
    }
    out.push_back({*key, *value, r.where(it->first)});
  }
}

void parse_root(Reader& r, const YAML::Node& root, Config& c) {
  MapReader m(r, root, "configuration");
  if (!m.ok()) return;
  if (!root.IsDefined() || root.IsNull()) {
    r.error(Mark{}, "configuration: the file is empty; at least 'node' is required");
    return;
  }
  if (auto n = m.required("node"); n.IsDefined()) {
    if (auto v = r.string(n, "node")) {
      bool ok = !v->empty() && v->size() <= 64;
      for (char ch : *v) {
        ok = ok && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.');
      }
      if (!ok) {
        r.error(n, "node: expected a host name of letters, digits, '-', '_' and '.' (at most 64)");
      } else {
        c.node = *v;
      }
    }
  }
  parse_control(r, m.get("control"), c.control);
  parse_logging(r, m.get("logging"), c.logging);
  parse_notify(r, m.get("notify"), c.notify);
  parse_sysctl(r, m.get("sysctl"), c.sysctl);
  if (m.has("vrrp")) parse_vrrp(r, m.get("vrrp"), c.vrrp.emplace());
  if (m.has("dhcp")) parse_dhcp(r, m.get("dhcp"), c.dhcp.emplace());
  parse_tunnels(r, m.get("tunnels"), c.tunnels);
  if (m.has("firewall")) parse_firewall(r, m.get("firewall"), c.firewall.emplace());
  if (m.has("peer")) parse_peer(r, m.get("peer"), c.peer.emplace());
}

}  // namespace

std::string LoadResult::report() const {
  std::string out;
  for (const auto& d : errors) {
    out += format(d, source);
    out += '\n';
  }
  return out;
}

LoadResult parse(std::string_view text, const std::string& file) {
  LoadResult result;
  result.source = std::string(text);
  Reader r(file);
  YAML::Node root;
  try {
    root = YAML::Load(result.source);
  } catch (const YAML::Exception& e) {
    r.error(Mark{e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg);
    result.errors = r.take_errors();
    return result;
  }
  Config c;
  try {
    parse_root(r, root, c);
    if (r.error_count() == 0) validate(r, c);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on some malformed trees while they are walked.
    r.error(Mark{e.mark.line + 1, e.mark.column + 1}, "YAML: " + e.msg);
  }
  result.errors = r.take_errors();
  if (result.errors.empty()) result.config = std::move(c);
  return result;
}

LoadResult load(const std::string& path) {
  auto fail = [&](std::string why) {
    LoadResult result;
    result.errors.push_back(Diagnostic{path, 0, 0, "cannot read the file: " + why});
    return result;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return fail("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail(std::strerror(errno));
  return parse(text.str(), path);
}

}  // namespace pairgate::conf
