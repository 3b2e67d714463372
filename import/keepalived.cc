#include "import/keepalived.h"

#include <algorithm>
#include <functional>
#include <set>

#include "conf/duration.h"
#include "import/text.h"

namespace pairgate::import {

namespace {

constexpr int kMaxIncludeDepth = 8;
constexpr int kMaxFiles = 64;

// One line of keepalived.conf: a keyword, its arguments, and the block that
// follows it, if any.
struct Statement {
  std::string file;  // as shown in warnings
  int line = 0;
  std::vector<std::string> words;
  bool has_block = false;
  std::vector<Statement> block;
  const std::string& key() const { return words.front(); }
  std::string arg(std::size_t i) const { return i < words.size() ? words[i] : std::string(); }
};

struct Token {
  std::string text;
  int line;
  bool quoted;
  bool is(std::string_view s) const { return !quoted && text == s; }
};

// Reads the files and builds the statement tree, following includes.
class Loader {
 public:
  Loader(const Sources& files, std::string node, Partial& out) : files_(files), node_(std::move(node)), out_(out) {}

  // Statements of `path`, or none (with a warning at `from`) if it cannot be read.
  std::vector<Statement> load(const std::string& path, int depth, const std::string& from, int from_line) {
    if (++files_read_ > kMaxFiles) {
      out_.warn(from, from_line, "include: more than " + std::to_string(kMaxFiles) + " files; " + path + " not read");
      return {};
    }
    if (open_.contains(path)) {
      out_.warn(from, from_line, "include: " + path + " includes itself; not read again");
      return {};
    }
    auto text = files_.read(path);
    if (!text) {
      out_.warn(from, from_line, "cannot read " + files_.display(path) + ": " + text.error());
      return {};
    }
    const std::string shown = files_.display(path);
    auto tokens = tokenize(*text, shown);
    open_.insert(path);
    std::size_t i = 0;
    auto out = build(tokens, i, shown, path, 0, depth, false);
    open_.erase(path);
    return out;
  }

 private:
  std::vector<Token> tokenize(std::string_view text, const std::string& shown) {
    std::vector<Token> out;
    int n = 0;
    for (auto line : lines(text)) {
      ++n;
      line = trim(line);
      // keepalived's conditional configuration: "@NAME ..." only on host
      // NAME, "@^NAME ..." on every other host.
      if (!line.empty() && line.front() == '@') {
        const auto end = line.find_first_of(" \t");
        std::string_view cond = line.substr(1, end == std::string_view::npos ? line.size() : end - 1);
        const bool negate = !cond.empty() && cond.front() == '^';
        if (negate) cond.remove_prefix(1);
        if ((cond == node_) == negate) continue;
        line = end == std::string_view::npos ? std::string_view() : line.substr(end);
      }
      std::size_t i = 0;
      while (i < line.size()) {
        const char c = line[i];
        if (c == ' ' || c == '\t') {
          ++i;
        } else if (c == '#' || c == '!') {
          break;
        } else if (c == '{' || c == '}') {
          out.push_back({std::string(1, c), n, false});
          ++i;
        } else if (c == '"') {
          const auto close = line.find('"', i + 1);
          if (close == std::string_view::npos) {
            out_.warn(shown, n, "a quoted string is not closed; the rest of the line is taken as it is");
            out.push_back({std::string(line.substr(i + 1)), n, true});
            break;
          }
          out.push_back({std::string(line.substr(i + 1, close - i - 1)), n, true});
          i = close + 1;
        } else {
          const auto end = line.find_first_of(" \t{}\"", i);
          out.push_back({std::string(line.substr(i, end - i)), n, false});
          i = end == std::string_view::npos ? line.size() : end;
        }
      }
    }
    return out;
  }

  std::vector<Statement> build(const std::vector<Token>& t, std::size_t& i, const std::string& shown,
                               const std::string& path, int nesting, int include_depth, bool nested) {
    std::vector<Statement> out;
    Statement cur;
    auto finish = [&] {
      if (cur.words.empty() && !cur.has_block) return;
      if (cur.words.empty()) {
        out_.warn(shown, cur.line, "a block without a keyword is skipped");
      } else if (++statements_ > kMaxItems) {
        if (statements_ == kMaxItems + 1) {
          out_.warn(shown, cur.line, "more than " + std::to_string(kMaxItems) + " statements; the rest is not read");
        }
      } else if (cur.key() == "include" && !cur.has_block) {
        include(cur, path, include_depth, out);
      } else {
        out.push_back(std::move(cur));
      }
      cur = Statement{};
    };
    while (i < t.size()) {
      const Token& tok = t[i];
      if (tok.is("}")) {
        ++i;
        if (nested) {
          finish();
          return out;
        }
        out_.warn(shown, tok.line, "'}' without a block to close");
        continue;
      }
      if (tok.is("{")) {
        ++i;
        if (cur.words.empty()) cur.line = tok.line;
        cur.file = shown;
        cur.has_block = true;
        if (nesting + 1 > kMaxDepth) {
          out_.warn(shown, tok.line, "blocks nested more than " + std::to_string(kMaxDepth) + " deep; skipped");
          for (int open = 1; i < t.size() && open > 0; ++i) open += t[i].is("{") ? 1 : t[i].is("}") ? -1 : 0;
        } else {
          cur.block = build(t, i, shown, path, nesting + 1, include_depth, true);
        }
        finish();
        continue;
      }
      if (!cur.words.empty() && tok.line != cur.line) finish();
      if (cur.words.empty()) {
        cur.line = tok.line;
        cur.file = shown;
      }
      cur.words.push_back(tok.text);
      ++i;
    }
    if (nested) out_.warn(shown, t.empty() ? 0 : t.back().line, "a block is not closed before the end of the file");
    finish();
    return out;
  }

  void include(const Statement& s, const std::string& path, int depth, std::vector<Statement>& out) {
    if (s.words.size() < 2) {
      out_.warn(s.file, s.line, "include: no file named");
      return;
    }
    if (depth + 1 > kMaxIncludeDepth) {
      out_.warn(s.file, s.line, "include: nested more than " + std::to_string(kMaxIncludeDepth) + " deep; not followed");
      return;
    }
    for (std::size_t w = 1; w < s.words.size(); ++w) {
      std::string pattern = s.words[w];
      // Relative to the directory of the including file.
      if (pattern.front() != '/') pattern = path.substr(0, path.rfind('/') + 1) + pattern;
      const bool wildcard = pattern.find_first_of("*?[") != std::string::npos;
      auto matches = wildcard ? files_.glob(pattern) : std::vector<std::string>{pattern};
      if (matches.empty()) out_.warn(s.file, s.line, "include: nothing matches " + files_.display(pattern));
      for (const auto& m : matches) {
        auto more = load(m, depth + 1, s.file, s.line);
        std::move(more.begin(), more.end(), std::back_inserter(out));
      }
    }
  }

  const Sources& files_;
  std::string node_;
  Partial& out_;
  int files_read_ = 0;
  std::size_t statements_ = 0;
  std::set<std::string> open_;
};

// What pairgate does instead of keepalived directives it has no key for.
struct Instead {
  std::string_view keyword;
  std::string_view advice;
};
constexpr Instead kInstead[] = {
    {"track_script",
     "pairgate runs no check scripts; to follow the WAN, give the tunnel a health check (tunnels[].health) "
     "and track it (track: [{tunnel: NAME}])"},
    {"vrrp_script",
     "pairgate runs no check scripts; to follow the WAN, give the tunnel a health check (tunnels[].health) "
     "and track it (track: [{tunnel: NAME}])"},
    {"track_file", "pairgate tracks interfaces and tunnels only (track: [{interface: ...}] or [{tunnel: ...}])"},
    {"track_process", "pairgate tracks interfaces and tunnels only (track: [{interface: ...}] or [{tunnel: ...}])"},
    {"track_bfd", "pairgate tracks interfaces and tunnels only (track: [{interface: ...}] or [{tunnel: ...}])"},
    {"notify_master",
     "notify.exec runs each program on every state change with INSTANCE OLD NEW appended; a wrapper that acts "
     "when NEW is MASTER does the same"},
    {"notify_backup",
     "notify.exec runs each program on every state change with INSTANCE OLD NEW appended; a wrapper that acts "
     "when NEW is BACKUP does the same"},
    {"notify_fault",
     "notify.exec runs each program on every state change with INSTANCE OLD NEW appended; a wrapper that acts "
     "when NEW is FAULT does the same"},
    {"notify_stop",
     "notify.exec runs each program on every state change with INSTANCE OLD NEW appended; a wrapper can act on "
     "the change to INIT at stop"},
    {"notify",
     "notify.exec runs each program on every state change with INSTANCE OLD NEW appended (keepalived's notify "
     "script gets TYPE NAME STATE PRIORITY): adapt the script, then list it there"},
    {"unicast_src_ip", "pairgate sends from the interface's primary address (IPv6: its link-local address)"},
    {"mcast_src_ip", "pairgate sends from the interface's primary address"},
    {"use_vmac", "pairgate uses the interface's own MAC address (keepalived's default)"},
    {"vmac_xmit_base", "pairgate uses the interface's own MAC address (keepalived's default)"},
    {"virtual_routes", "routes are not moved with the addresses; configure them outside pairgate"},
    {"virtual_rules", "rules are not moved with the addresses; configure them outside pairgate"},
    {"virtual_server", "pairgate has no load balancer (IPVS)"},
    {"virtual_server_group", "pairgate has no load balancer (IPVS)"},
    {"static_ipaddress", "configure static addresses in netplan or ifupdown"},
    {"static_routes", "configure static routes in netplan or ifupdown"},
    {"static_rules", "configure static rules in netplan or ifupdown"},
    {"garp_master_refresh_repeat", "pairgate sends one gratuitous ARP per address at each refresh"},
    {"garp_lower_prio_delay", "pairgate sends gratuitous ARPs after becoming master only"},
    {"garp_lower_prio_repeat", "pairgate sends gratuitous ARPs after becoming master only"},
    {"router_id", "pairgate names this host by `node`"},
    {"dont_track_primary", "pairgate always follows the instance's own interface"},
    {"strict_mode", "pairgate follows RFC 3768 as keepalived's strict mode does"},
    {"vrrp_strict", "pairgate follows RFC 3768 as keepalived's strict mode does"},
    {"enable_script_security", "pairgate runs no check scripts"},
    {"script_user", "notify.exec programs run as the daemon's user"},
};

std::string advice(std::string_view keyword) {
  for (const auto& i : kInstead) {
    if (i.keyword == keyword) return std::string(i.advice);
  }
  return {};
}

void not_carried(Partial& out, const Statement& s, std::string_view where = {}) {
  std::string what = s.key();
  if (s.words.size() > 1) what += " " + s.words[1];
  std::string why = advice(s.key());
  std::string msg = what + ": not carried over";
  if (!where.empty()) msg += " (" + std::string(where) + ")";
  if (!why.empty()) msg += ": " + why;
  out.warn(s.file, s.line, msg);
}

struct GarpDefaults {
  std::optional<conf::Duration> delay;
  std::optional<unsigned> repeat;
  std::optional<conf::Duration> refresh;
};

struct Globals {
  std::vector<std::string> emails;
  std::string from;
  std::optional<std::string> server_host;
  std::optional<unsigned> server_port;
  std::optional<conf::Duration> timeout;
  bool smtp_alert = false;
  GarpDefaults garp;
  unsigned version = 2;  // vrrp_version: the instances' default
  const Statement* emails_at = nullptr;
};

std::optional<unsigned> number(Partial& out, const Statement& s, long long min, long long max) {
  auto v = integer(s.arg(1), min, max);
  if (!v) {
    out.warn(s.file, s.line, s.key() + ": expected a number " + std::to_string(min) + ".." + std::to_string(max) +
                                 ", got '" + s.arg(1) + "'; not carried over");
    return std::nullopt;
  }
  return static_cast<unsigned>(*v);
}

std::optional<conf::Duration> secs(Partial& out, const Statement& s, long long max) {
  auto v = seconds(s.arg(1), max);
  if (!v) {
    out.warn(s.file, s.line, s.key() + ": expected seconds 0.." + std::to_string(max) + ", got '" + s.arg(1) +
                                 "'; not carried over");
  }
  return v;
}

void read_globals(Partial& out, const Statement& g, Globals& gl) {
  for (const auto& s : g.block) {
    const auto& k = s.key();
    if (k == "notification_email") {
      gl.emails_at = &s;
      for (const auto& e : s.block) {
        for (const auto& w : e.words) {
          if (email_address(w)) {
            gl.emails.push_back(w);
          } else {
            out.warn(e.file, e.line, "notification_email: '" + w + "' is not an e-mail address; not carried over");
          }
        }
      }
    } else if (k == "notification_email_from") {
      if (email_address(s.arg(1))) {
        gl.from = s.arg(1);
      } else {
        out.warn(s.file, s.line, "notification_email_from: '" + s.arg(1) + "' is not an e-mail address; not carried over");
      }
    } else if (k == "smtp_server") {
      gl.server_host = s.arg(1);
      if (s.words.size() > 2) {
        if (auto p = number(out, Statement{s.file, s.line, {k, s.arg(2)}, false, {}}, 1, 65535)) gl.server_port = *p;
      }
    } else if (k == "smtp_connect_timeout") {
      if (auto t = number(out, s, 1, 600)) gl.timeout = std::chrono::seconds(*t);
    } else if (k == "smtp_alert" || k == "smtp_alert_vrrp") {
      gl.smtp_alert = s.arg(1).empty() || s.arg(1) == "true" || s.arg(1) == "on" || s.arg(1) == "yes";
    } else if (k == "vrrp_version") {
      if (auto n = number(out, s, 2, 3)) gl.version = *n;
    } else if (k == "vrrp_garp_master_delay") {
      if (auto t = secs(out, s, 3600)) gl.garp.delay = *t;
    } else if (k == "vrrp_garp_master_repeat") {
      if (auto n = number(out, s, 1, 100)) gl.garp.repeat = *n;
    } else if (k == "vrrp_garp_master_refresh") {
      if (auto t = secs(out, s, 86400)) gl.garp.refresh = *t;
    } else {
      not_carried(out, s, "global_defs");
    }
  }
}

void read_addresses(Partial& out, const Statement& s, conf::VrrpInstance& v, bool excluded) {
  for (const auto& a : s.block) {
    std::string text = a.key();
    auto p = IpPrefix::parse(text, true);
    if (!p) {
      out.warn(a.file, a.line, s.key() + ": '" + text + "' is not an address; not carried over");
      continue;
    }
    for (std::size_t i = 1; i < a.words.size(); ++i) {
      if (a.words[i] == "dev" && a.arg(i + 1) != v.interface) {
        out.warn(a.file, a.line, s.key() + ": " + text + " dev " + a.arg(i + 1) + ": pairgate adds it to the instance's "
                                 "interface " + v.interface + " (move it to an instance on " + a.arg(i + 1) + ")");
      } else if (a.words[i] != "dev") {
        out.warn(a.file, a.line, s.key() + ": " + text + ": '" + a.words[i] + "' and what follows are not carried over");
        break;
      }
      ++i;
    }
    bool here_excluded = excluded;
    if (!excluded && v.version == 2 && !p->address().is_v4()) {
      out.warn(a.file, a.line, s.key() + ": " + p->to_string() +
                                   " is IPv6, which VRRPv2 does not advertise: moved to excluded_addresses "
                                   "(or set vrrp_version 3)");
      here_excluded = true;
    } else if (!excluded && !v.virtual_addresses.empty() &&
               p->family() != v.virtual_addresses.front().family()) {
      // RFC 5798 §1: one instance, one family (keepalived refuses a mix too).
      out.warn(a.file, a.line, s.key() + ": " + p->to_string() + " is not of the family of " +
                                   v.virtual_addresses.front().to_string() +
                                   ": moved to excluded_addresses (make a second instance for it)");
      here_excluded = true;
    }
    auto& list = here_excluded ? v.excluded_addresses : v.virtual_addresses;
    if (std::find(list.begin(), list.end(), *p) == list.end()) list.push_back(*p);
  }
}

struct InstanceFacts {
  bool smtp_alert = false;
};

std::optional<conf::VrrpInstance> read_instance(Partial& out, const Statement& s, const Globals& gl,
                                                InstanceFacts& facts) {
  const GarpDefaults& garp = gl.garp;
  conf::VrrpInstance v;
  v.name = s.arg(1);
  if (!object_name(v.name)) {
    out.warn(s.file, s.line, "vrrp_instance '" + v.name + "': a name of 1-64 characters without spaces or '/' "
                             "is needed; not carried over");
    return std::nullopt;
  }
  if (garp.delay) v.garp.delay = *garp.delay;
  if (garp.repeat) v.garp.repeat = *garp.repeat;
  if (garp.refresh) v.garp.refresh = *garp.refresh;
  const std::string at = "vrrp.instances[" + v.name + "]";
  // The interface and the version first: addresses, intervals and tracking
  // depend on them.
  v.version = gl.version;
  for (const auto& x : s.block) {
    if (x.key() == "interface") v.interface = x.arg(1);
    if (x.key() == "version") {
      if (auto n = number(out, x, 2, 3)) v.version = *n;
    }
  }
  std::string state;
  std::vector<const Statement*> peers_at;  // where each unicast peer was named
  for (const auto& x : s.block) {
    const auto& k = x.key();
    if (k == "interface") {
      if (!interface_name(v.interface)) {
        out.warn(x.file, x.line, "interface '" + v.interface + "' is not an interface name");
        v.interface.clear();
      }
    } else if (k == "state") {
      state = x.arg(1);
    } else if (k == "virtual_router_id") {
      if (auto n = number(out, x, 1, 255)) v.vrid = *n;
    } else if (k == "priority") {
      if (auto n = number(out, x, 1, 255)) v.priority = *n;
    } else if (k == "version") {
      // read above
    } else if (k == "advert_int" && v.version == 3) {
      // RFC 5798 §5.2.7: 10 ms .. 40.95 s in centiseconds.
      if (auto t = secs(out, x, 41)) {
        auto cs = std::chrono::round<std::chrono::duration<long long, std::centi>>(*t);
        cs = std::clamp(cs, decltype(cs)(1), decltype(cs)(4095));
        auto d = std::chrono::duration_cast<conf::Duration>(cs);
        if (d != *t) {
          out.warn(x.file, x.line, "advert_int " + x.arg(1) + ": VRRPv3 advertises 10ms..40950ms in steps of 10ms; " +
                                       conf::format_duration(d) + " is used");
        }
        v.advert_interval = d;
      }
    } else if (k == "advert_int") {
      if (auto t = secs(out, x, 255)) {
        // RFC 3768 §5.3.7: VRRPv2 advertises whole seconds.
        auto whole = std::chrono::round<std::chrono::seconds>(*t);
        if (whole < std::chrono::seconds(1)) whole = std::chrono::seconds(1);
        if (whole != *t) {
          out.warn(x.file, x.line, "advert_int " + x.arg(1) + ": VRRPv2 advertises whole seconds; " +
                                       conf::format_duration(whole) + " is used");
        }
        v.advert_interval = whole;
      }
    } else if (k == "nopreempt") {
      v.preempt = false;
    } else if (k == "preempt") {
      v.preempt = true;
    } else if (k == "preempt_delay") {
      if (auto t = secs(out, x, 1000)) v.preempt_delay = *t;
    } else if (k == "authentication") {
      std::string type, pass;
      for (const auto& a : x.block) {
        if (a.key() == "auth_type") type = a.arg(1);
        if (a.key() == "auth_pass") pass = a.arg(1);
      }
      if (type == "PASS" && !pass.empty()) {
        if (pass.size() > 8) {
          out.warn(x.file, x.line, "auth_pass: longer than 8 characters; keepalived sends the first 8, and so will pairgate");
          pass.resize(8);
        }
        v.auth_pass = pass;
      } else {
        out.warn(x.file, x.line, "authentication " + type + ": not carried over: pairgate knows only PASS "
                                 "(RFC 2338 simple text), and RFC 3768 removed authentication");
      }
    } else if (k == "virtual_ipaddress") {
      read_addresses(out, x, v, false);
    } else if (k == "virtual_ipaddress_excluded") {
      read_addresses(out, x, v, true);
    } else if (k == "track_interface") {
      for (const auto& t : x.block) {
        conf::Track tr;
        tr.kind = conf::Track::Kind::interface;
        tr.name = t.key();
        if (!interface_name(tr.name)) {
          out.warn(t.file, t.line, "track_interface: '" + tr.name + "' is not an interface name; not carried over");
          continue;
        }
        if (t.arg(1) == "weight") {
          auto w = integer(t.arg(2), -254, 254);
          if (!w) {
            out.warn(t.file, t.line, "track_interface " + tr.name + ": weight '" + t.arg(2) + "' is not -254..254; "
                                     "not carried over");
            continue;
          }
          if (*w != 0) tr.weight = static_cast<int>(*w);
          if (t.arg(3) == "reverse") {
            out.warn(t.file, t.line, "track_interface " + tr.name + ": reverse is not carried over");
          }
        }
        // The instance's own interface is always followed.
        if (tr.name == v.interface) continue;
        const bool twice = std::any_of(v.track.begin(), v.track.end(), [&](const conf::Track& o) { return o.name == tr.name; });
        if (!twice) v.track.push_back(tr);
      }
    } else if (k == "garp_master_delay") {
      if (auto t = secs(out, x, 3600)) v.garp.delay = *t;
    } else if (k == "garp_master_repeat") {
      if (auto n = number(out, x, 1, 100)) v.garp.repeat = *n;
    } else if (k == "garp_master_refresh") {
      if (auto t = secs(out, x, 86400)) {
        if (*t > conf::Duration(0) && *t < std::chrono::seconds(1)) *t = std::chrono::seconds(1);
        v.garp.refresh = *t;
      }
    } else if (k == "unicast_peer") {
      for (const auto& a : x.block) {
        auto ip = IpAddress::parse(a.key());
        if (!ip) {
          out.warn(a.file, a.line, "unicast_peer: '" + a.key() + "' is not an address; not carried over");
          continue;
        }
        if (a.words.size() > 1) {
          out.warn(a.file, a.line, "unicast_peer " + a.key() + ": '" + a.words[1] + "' and what follows are not carried over");
        }
        if (std::find(v.unicast_peers.begin(), v.unicast_peers.end(), *ip) == v.unicast_peers.end()) {
          v.unicast_peers.push_back(*ip);
          peers_at.push_back(&a);
        }
      }
    } else if (k == "accept") {
      v.accept_mode = true;
    } else if (k == "no_accept") {
      v.accept_mode = false;
    } else if (k == "smtp_alert") {
      facts.smtp_alert = x.arg(1).empty() || x.arg(1) == "true" || x.arg(1) == "on" || x.arg(1) == "yes";
    } else {
      not_carried(out, x, "vrrp_instance " + v.name);
    }
  }
  if (v.interface.empty() || v.vrid == 0 || v.virtual_addresses.empty()) {
    out.warn(s.file, s.line, "vrrp_instance " + v.name + ": needs interface, virtual_router_id and a virtual_ipaddress" +
                             (v.version == 2 ? " of IPv4" : "") + "; not carried over");
    return std::nullopt;
  }
  std::vector<IpAddress> peers;
  for (std::size_t i = 0; i < v.unicast_peers.size(); ++i) {
    const auto& a = v.unicast_peers[i];
    if (a.family() == v.virtual_addresses.front().family()) {
      peers.push_back(a);
    } else {
      out.warn(peers_at[i]->file, peers_at[i]->line, "unicast_peer " + a.to_string() +
                                                         " is not of the virtual addresses' family; not carried over");
    }
  }
  v.unicast_peers = std::move(peers);
  if (v.version == 3 && !v.auth_pass.empty()) {
    out.warn(s.file, s.line, "vrrp_instance " + v.name + ": authentication is not carried over: VRRPv3 has none "
                             "(RFC 5798 §9)");
    v.auth_pass.clear();
  }
  if (state == "MASTER" && v.priority < 255) {
    out.comments[at + ".name"] = "keepalived's state MASTER: pairgate starts every instance as backup and the "
                                 "higher priority wins (RFC 3768 6.4.1)";
  }
  if (v.priority == 255 && !v.track.empty()) {
    out.warn(s.file, s.line, "vrrp_instance " + v.name + ": priority 255 (address owner) tracks nothing in "
                             "pairgate; track_interface not carried over");
    v.track.clear();
  }
  return v;
}

void read_sync_group(Partial& out, const Statement& s, conf::Vrrp& vrrp, bool& smtp_alert) {
  conf::SyncGroup g;
  g.name = s.arg(1);
  if (!object_name(g.name)) {
    out.warn(s.file, s.line, "vrrp_sync_group '" + g.name + "': not a usable name; not carried over");
    return;
  }
  for (const auto& x : s.block) {
    if (x.key() == "group") {
      for (const auto& m : x.block) {
        for (const auto& name : m.words) {
          const bool known = vrrp.instances.end() != std::find_if(vrrp.instances.begin(), vrrp.instances.end(),
                                                                  [&](const auto& i) { return i.name == name; });
          const bool taken = std::any_of(vrrp.sync_groups.begin(), vrrp.sync_groups.end(), [&](const auto& o) {
            return std::find(o.instances.begin(), o.instances.end(), name) != o.instances.end();
          });
          if (!known) {
            out.warn(m.file, m.line, "vrrp_sync_group " + g.name + ": no vrrp_instance " + name + " was carried over");
          } else if (taken || std::find(g.instances.begin(), g.instances.end(), name) != g.instances.end()) {
            out.warn(m.file, m.line, "vrrp_sync_group " + g.name + ": " + name + " is already in a group");
          } else {
            g.instances.push_back(name);
          }
        }
      }
    } else if (x.key() == "smtp_alert") {
      smtp_alert = true;
    } else {
      not_carried(out, x, "vrrp_sync_group " + g.name);
    }
  }
  if (g.instances.empty()) {
    out.warn(s.file, s.line, "vrrp_sync_group " + g.name + ": no instance; not carried over");
    return;
  }
  vrrp.sync_groups.push_back(std::move(g));
}

}  // namespace

Partial import_keepalived(const Sources& files, const std::string& path, const std::string& node) {
  Partial out;
  Loader loader(files, node, out);
  const auto top = loader.load(path, 0, files.display(path), 0);
  Globals gl;
  for (const auto& s : top) {
    if (s.key() == "global_defs") read_globals(out, s, gl);
  }
  conf::Vrrp vrrp;
  std::vector<std::pair<std::string, bool>> alerts;  // instance, smtp_alert
  for (const auto& s : top) {
    if (s.key() == "vrrp_instance") {
      InstanceFacts facts;
      auto v = read_instance(out, s, gl, facts);
      if (!v) continue;
      const bool dup = std::any_of(vrrp.instances.begin(), vrrp.instances.end(), [&](const auto& i) {
        return i.name == v->name || (i.interface == v->interface && i.vrid == v->vrid);
      });
      if (dup) {
        out.warn(s.file, s.line, "vrrp_instance " + v->name + ": its name, or its interface and virtual_router_id, "
                                 "are already used; not carried over");
        continue;
      }
      alerts.emplace_back(v->name, facts.smtp_alert);
      vrrp.instances.push_back(std::move(*v));
    }
  }
  bool group_alert = false;
  for (const auto& s : top) {
    if (s.key() == "vrrp_sync_group") {
      bool alert = false;
      read_sync_group(out, s, vrrp, alert);
      if (alert && !vrrp.sync_groups.empty() && vrrp.sync_groups.back().name == s.arg(1)) {
        group_alert = true;
        for (auto& [name, on] : alerts) {
          const auto& members = vrrp.sync_groups.back().instances;
          if (std::find(members.begin(), members.end(), name) != members.end()) on = true;
        }
      }
    }
  }
  for (const auto& s : top) {
    const auto& k = s.key();
    if (k != "global_defs" && k != "vrrp_instance" && k != "vrrp_sync_group") not_carried(out, s);
  }

  // Mail: keepalived sends it for the instances (or groups) with smtp_alert.
  const bool any_alert = gl.smtp_alert || group_alert ||
                         std::any_of(alerts.begin(), alerts.end(), [](const auto& a) { return a.second; });
  const bool all_alert = gl.smtp_alert || std::all_of(alerts.begin(), alerts.end(), [](const auto& a) { return a.second; });
  if (any_alert && !gl.emails.empty()) {
    conf::Email e;
    e.to = gl.emails;
    if (e.to.size() > 16) {
      out.warn(gl.emails_at->file, gl.emails_at->line, "notification_email: more than 16 addresses; the first 16 are kept");
      e.to.resize(16);
    }
    e.from = gl.from;
    if (e.from.empty()) {
      e.from = "keepalived@" + (node.empty() ? std::string("localhost") : node);
      out.comments["notify.email.from"] = "keepalived's default sender; notification_email_from was not set";
    }
    if (gl.server_host) e.server_host = *gl.server_host;
    if (gl.server_port) e.server_port = static_cast<std::uint16_t>(*gl.server_port);
    if (gl.timeout) e.timeout = *gl.timeout;
    out.config.notify.email = e;
    if (!all_alert) {
      out.warn(gl.emails_at->file, gl.emails_at->line,
               "smtp_alert is set on some instances only; pairgate mails on every instance's state changes");
    }
    out.comments["notify.email"] = "keepalived's smtp_alert and notification_email";
  } else if (any_alert) {
    out.warn(files.display(path), 0, "smtp_alert without notification_email: no mail to send; not carried over");
  } else if (!gl.emails.empty()) {
    out.warn(gl.emails_at->file, gl.emails_at->line,
             "notification_email: no instance has smtp_alert, so keepalived sent no mail; not carried over");
  }
  out.usable = !vrrp.instances.empty();
  if (out.usable) {
    if (vrrp.sync_groups.empty() && vrrp.instances.size() > 1) {
      out.comments["vrrp.sync_groups"] =
          "keepalived had no vrrp_sync_group; a group keeps the instances on one host "
          "(sync_groups: [{name: LAN, instances: [...]}])";
    }
    out.config.vrrp = std::move(vrrp);
  }
  return out;
}

}  // namespace pairgate::import
