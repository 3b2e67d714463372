#include "conf/parser.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <sstream>

#include "conf/limits.h"
#include "conf/parse_sections.h"
#include "conf/read_source.h"
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
  if (n.size() > kMaxSysctlKeys) {
    r.error(n, "sysctl: " + std::to_string(n.size()) + " keys; at most " + std::to_string(kMaxSysctlKeys));
    return;
  }
  if (!r.visit(n, n.size())) return;
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
  if (m.has("http")) parse_http(r, m.get("http"), c.http.emplace());
}

}  // namespace

namespace {

// Counts the nodes of the first document without building it, and stops at
// the first one past the limit. Throws YAML::Exception on a syntax error,
// exactly as YAML::Load would.
class NodeCounter final : public YAML::EventHandler {
 public:
  struct TooMany {
    Mark at;
  };
  explicit NodeCounter(std::size_t limit) : limit_(limit) {}
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { count(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { count(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    count(m);
  }
  void OnMapEnd() override {}

 private:
  void count(const YAML::Mark& m) {
    if (++nodes_ > limit_) throw TooMany{Mark{m.line + 1, m.column + 1}};
  }
  std::size_t limit_;
  std::size_t nodes_ = 0;
};

// Empty when `text` is within kMaxNodes; else where the first node too many stands.
std::optional<Mark> too_many_nodes(const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  NodeCounter counter(kMaxNodes);
  try {
    parser.HandleNextDocument(counter);  // YAML::Load reads the first document only
  } catch (const NodeCounter::TooMany& e) {
    return e.at;
  }
  return std::nullopt;
}

std::string plural(std::size_t n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

std::string LoadResult::report() const {
  // Where each line starts, found once: each error shows its line.
  std::vector<std::size_t> starts{0};
  for (std::size_t i = source.find('\n'); i != std::string::npos; i = source.find('\n', i + 1)) {
    starts.push_back(i + 1);
  }
  std::string out;
  for (const auto& d : errors) {
    if (d.line > 0 && static_cast<std::size_t>(d.line) <= starts.size()) {
      const std::size_t start = starts[d.line - 1];
      out += format_line(d, std::string_view(source).substr(start, source.find('\n', start) - start));
    } else {
      out += headline(d);
    }
    out += '\n';
  }
  if (auto m = more(); !m.empty()) out += m + '\n';
  return out;
}

std::string LoadResult::more() const {
  if (error_count <= errors.size()) return {};
  return "... and " + plural(error_count - errors.size(), "more error") + " not shown";
}

std::string LoadResult::summary(std::string_view file) const {
  return plural(error_count, "error") + " in " + std::string(file);
}

LoadResult parse(std::string_view text, const std::string& file) {
  LoadResult result;
  Reader r(file);
  auto finish = [&](std::optional<Config> c) {
    result.error_count = r.error_count();
    result.errors = r.take_errors();
    if (result.error_count == 0) result.config = std::move(c);
    return std::move(result);
  };
  if (text.size() > kMaxFileBytes) {
    r.error(Mark{}, "configuration: " + std::to_string(text.size()) + " bytes; a configuration may have at most " +
                        std::to_string(kMaxFileBytes));
    return finish(std::nullopt);
  }
  result.source = std::string(text);
  YAML::Node root;
  try {
    if (auto at = too_many_nodes(result.source)) {
      r.error(*at, "configuration: more than " + std::to_string(kMaxNodes) +
                       " YAML nodes (values, lists and mappings); the rest is not read");
      return finish(std::nullopt);
    }
    root = YAML::Load(result.source);
  } catch (const YAML::DeepRecursion& e) {
    r.error(Mark{e.mark.line + 1, e.mark.column + 1}, "YAML syntax: nested too deeply");
    return finish(std::nullopt);
  } catch (const YAML::Exception& e) {
    r.error(Mark{e.mark.line + 1, e.mark.column + 1}, "YAML syntax: " + e.msg);
    return finish(std::nullopt);
  }
  Config c;
  try {
    parse_root(r, root, c);
    if (r.error_count() == 0) validate(r, c);
  } catch (const YAML::Exception& e) {
    // yaml-cpp throws on some malformed trees while they are walked.
    r.error(Mark{e.mark.line + 1, e.mark.column + 1}, "YAML: " + e.msg);
  }
  return finish(std::move(c));
}

LoadResult load(const std::string& path) {
  auto text = read_source(path, kMaxFileBytes);
  if (!text) {
    LoadResult result;
    result.errors.push_back(Diagnostic{path, 0, 0, "cannot read the file: " + text.error()});
    result.error_count = 1;
    return result;
  }
  return parse(*text, path);
}

}  // namespace pairgate::conf
