#include "import/iptables.h"

#include <algorithm>
#include <map>
#include <set>

#include "import/text.h"

namespace pairgate::import {

namespace {

struct Rule {
  int line = 0;
  std::string table;
  std::string chain;
  std::string in, out, source, destination, proto;
  bool negated = false;              // some match is negated with '!'
  std::string target;                // -j / -g
  std::string comment;
  std::map<std::string, std::string> options;  // module options (--dport 22, --state ...)
  std::map<std::string, std::string> target_options;  // after -j (--log-prefix ...)
  std::vector<std::string> modules;            // -m NAME
  std::vector<std::string> unknown;            // options not understood
};

struct Chain {
  std::string policy;  // "-" for a user chain
  int line = 0;
};

// iptables-save quotes with "..." and escapes with '\'.
std::vector<std::string> split(std::string_view line, bool& ok) {
  std::vector<std::string> out;
  ok = true;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    std::string word;
    bool quoted = false;
    while (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) {
      if (line[i] == '"') {
        quoted = !quoted;
      } else if (line[i] == '\\' && i + 1 < line.size()) {
        word += line[++i];
      } else {
        word += line[i];
      }
      ++i;
    }
    if (quoted) ok = false;
    out.push_back(std::move(word));
  }
  return out;
}

// Who made a rule or chain that is not the administrator's own: the program
// that re-creates it (so it is left to that program).
struct Owner {
  std::string_view name;
  std::string_view chain_prefix;     // chains it names
  std::string_view interface_prefix; // interfaces it owns
  std::string_view comment;          // text in the rules' comments
};
constexpr Owner kOwners[] = {
    {"LXD", "", "lxdbr", "generated for LXD"},
    {"Docker", "DOCKER", "docker", ""},
    {"Docker", "", "br-", ""},
    {"libvirt", "LIBVIRT_", "virbr", ""},
    {"Kubernetes", "KUBE-", "", ""},
    {"CNI", "CNI-", "cni", ""},
    {"fail2ban", "f2b-", "", ""},
    {"ufw", "ufw-", "", ""},
};

std::string_view owner_of_chain(std::string_view chain) {
  for (const auto& o : kOwners) {
    if (!o.chain_prefix.empty() && chain.starts_with(o.chain_prefix)) return o.name;
  }
  return {};
}

std::string_view owner_of(const Rule& r) {
  for (const auto& o : kOwners) {
    if (!o.comment.empty() && r.comment.find(o.comment) != std::string::npos) return o.name;
    if (!o.chain_prefix.empty() && (r.chain.starts_with(o.chain_prefix) || r.target.starts_with(o.chain_prefix))) {
      return o.name;
    }
    if (!o.interface_prefix.empty() &&
        (r.in.starts_with(o.interface_prefix) || r.out.starts_with(o.interface_prefix))) {
      return o.name;
    }
  }
  return {};
}

std::optional<conf::Proto> protocol(std::string_view p, Family family, std::string& note) {
  if (p.empty() || p == "all" || p == "0") return conf::Proto::any;
  if (p == "tcp" || p == "6") return conf::Proto::tcp;
  if (p == "udp" || p == "17") return conf::Proto::udp;
  if ((p == "icmp" || p == "1") && family == Family::ipv4) return conf::Proto::icmp;
  if (p == "ipv6-icmp" || p == "icmpv6" || p == "icmp6" || p == "58") return conf::Proto::ipv6_icmp;
  if (p == "vrrp" || p == "112") return conf::Proto::vrrp;
  if (p == "ipencap" || p == "4") return conf::Proto::ipip;
  if (p == "ipip" || p == "94") {
    // /etc/protocols names 94 "ipip" and 4 "ipencap"; DS-Lite carries 4.
    note = "iptables' -p ipip is protocol 94 (/etc/protocols); pairgate's ipip is 4, what DS-Lite carries";
    return conf::Proto::ipip;
  }
  return std::nullopt;
}

class Importer {
 public:
  Importer(const std::string& file, Family family, Partial& out) : file_(file), family_(family), out_(out) {}

  void parse(std::string_view text) {
    std::string table;
    int n = 0;
    std::size_t count = 0;
    for (auto raw : lines(text)) {
      ++n;
      auto line = trim(raw);
      if (line.empty() || line.front() == '#') continue;
      if (++count > kMaxItems) {
        out_.warn(file_, n, "more than " + std::to_string(kMaxItems) + " lines; the rest is not read");
        break;
      }
      if (line.front() == '*') {
        table = std::string(line.substr(1));
      } else if (line == "COMMIT") {
        table.clear();
      } else if (line.front() == ':') {
        auto w = words(line.substr(1));
        if (w.size() < 2 || table.empty()) {
          out_.warn(file_, n, "'" + std::string(line) + "': a chain outside a table or without a policy; not read");
          continue;
        }
        chains_[table + "/" + std::string(w[0])] = {std::string(w[1]), n};
      } else if (line == "-A" || line.starts_with("-A ") || line.starts_with("-I ")) {
        if (table.empty()) {
          out_.warn(file_, n, "a rule outside a table (no '*filter' before it); not read");
          continue;
        }
        rule(line, table, n);
      } else {
        out_.warn(file_, n, "'" + std::string(line) + "' is not iptables-save output; not read");
      }
    }
  }

  void translate() {
    find_wan_chains();
    std::map<std::string, std::pair<int, int>> owned;  // owner -> (first line, rules)
    std::set<std::string> guard_chains;
    for (const auto& [chain, role] : guards_) guard_chains.insert(chain);
    for (const auto& [key, c] : chains_) {
      const auto slash = key.find('/');
      const std::string table = key.substr(0, slash), chain = key.substr(slash + 1);
      if (auto o = owner_of_chain(chain); !o.empty()) {
        auto& e = owned[std::string(o)];
        if (e.first == 0 || c.line < e.first) e.first = c.line;
      } else if (c.policy == "DROP" && table == "filter") {
        out_.warn(file_, c.line, chain + " policy DROP: not carried over: pairgate filters what arrives on the "
                                 "WAN interfaces and accepts the rest");
      } else if (c.policy == "-" && table == "filter" && !guard_chains.contains(chain) && !jumped_.contains(chain)) {
        out_.warn(file_, c.line, "chain " + chain + " is never jumped to; not carried over");
      }
    }
    for (const auto& r : rules_) {
      if (r.target == "TCPMSS") {
        out_.mss_clamp_seen = true;
        continue;
      }
      if (auto o = owner_of(r); !o.empty()) {
        auto& e = owned[std::string(o)];
        if (e.first == 0 || r.line < e.first) e.first = r.line;
        ++e.second;
        continue;
      }
      if (r.table == "filter" && guard_rule_lines_.contains(r.line)) continue;
      if (r.table == "filter" && guard_chains.contains(r.chain)) continue;
      std::string why = r.table != "filter" ? "the " + r.table + " table"
                                            : "pairgate filters what arrives on the WAN interfaces only";
      if (r.target == "MASQUERADE" || r.target == "SNAT" || r.target == "DNAT") {
        why = "pairgate does no NAT (the AFTR translates DS-Lite traffic)";
      }
      out_.warn(file_, r.line, "-A " + r.chain + (r.target.empty() ? "" : " ... -j " + r.target) +
                                   ": not carried over (" + why + ")");
    }
    for (const auto& [owner, e] : owned) {
      out_.warn(file_, e.first, std::to_string(e.second) + " rules and the chains of " + owner + " are left to " +
                                    owner + ", which makes them itself");
    }
    for (const auto& [chain, role] : guards_) guard(chain, role);
    out_.usable = !out_.wan_interfaces.empty();
    if (out_.usable) {
      conf::Firewall& f = *out_.config.firewall;
      f.wan_interfaces = out_.wan_interfaces;
      f.log_drops = logged_;
    }
  }

 private:
  void rule(std::string_view line, const std::string& table, int n) {
    bool ok = true;
    auto w = split(line, ok);
    if (!ok) {
      out_.warn(file_, n, "a quoted string is not closed; the rule is not read");
      return;
    }
    Rule r;
    r.line = n;
    r.table = table;
    r.chain = w.size() > 1 ? w[1] : "";
    for (std::size_t i = 2; i < w.size(); ++i) {
      const std::string& o = w[i];
      auto value = [&]() -> std::string { return i + 1 < w.size() ? w[++i] : std::string(); };
      if (o == "!") {
        r.negated = true;
        continue;
      }
      if (o == "-i" || o == "--in-interface") r.in = value();
      else if (o == "-o" || o == "--out-interface") r.out = value();
      else if (o == "-s" || o == "--source") r.source = value();
      else if (o == "-d" || o == "--destination") r.destination = value();
      else if (o == "-p" || o == "--protocol") r.proto = value();
      else if (o == "-m" || o == "--match") r.modules.push_back(value());
      else if (o == "-j" || o == "--jump" || o == "-g" || o == "--goto") r.target = value();
      else if (o == "--comment") r.comment = value();
      else if (o.starts_with("--")) {
        // A module's option and its value (or values: "--state RELATED,ESTABLISHED").
        std::string v;
        while (i + 1 < w.size() && !w[i + 1].starts_with("-") && w[i + 1] != "!") v += (v.empty() ? "" : " ") + w[++i];
        (r.target.empty() ? r.options : r.target_options)[o] = v;
      } else {
        r.unknown.push_back(o);
      }
    }
    if (r.chain.empty()) {
      out_.warn(file_, n, "a rule without a chain; not read");
      return;
    }
    if (!r.target.empty() && r.table == "filter" && chains_.contains("filter/" + r.target)) jumped_.insert(r.target);
    rules_.push_back(std::move(r));
  }

  // "-A INPUT -i enp0s25 -j WAN_LOCAL": WAN_LOCAL guards enp0s25's input.
  void find_wan_chains() {
    for (const auto& r : rules_) {
      if (r.table != "filter" || (r.chain != "INPUT" && r.chain != "FORWARD")) continue;
      const auto c = chains_.find("filter/" + r.target);
      if (c == chains_.end() || c->second.policy != "-" || r.in.empty() || !owner_of(r).empty()) continue;
      const bool only_in = r.source.empty() && r.destination.empty() && r.proto.empty() && r.out.empty() &&
                           !r.negated && r.options.empty() && r.unknown.empty();
      if (!only_in) continue;
      if (!interface_name(r.in) || r.in.find('+') != std::string::npos) {
        out_.warn(file_, r.line, "-i " + r.in + ": not one interface; not carried over");
        continue;
      }
      const std::string role = r.chain == "INPUT" ? "input" : "forward";
      if (guards_.contains(r.target) && guards_[r.target] != role) {
        out_.warn(file_, r.line, r.target + " guards both input and forward; carried over to both");
      }
      guards_.emplace(r.target, role);
      guard_rule_lines_.insert(r.line);
      parent_policy_[r.target] = chains_["filter/" + r.chain].policy;
      if (std::find(out_.wan_interfaces.begin(), out_.wan_interfaces.end(), r.in) == out_.wan_interfaces.end()) {
        out_.wan_interfaces.push_back(r.in);
      }
      if (!out_.config.firewall) out_.config.firewall.emplace();
    }
  }

  static bool has_state(const Rule& r, std::string_view state) {
    for (const char* key : {"--state", "--ctstate"}) {
      auto it = r.options.find(key);
      if (it == r.options.end()) continue;
      auto states = comma_list(it->second);
      if (state == "RELATED,ESTABLISHED") {
        return states.size() == 2 && std::count(states.begin(), states.end(), "RELATED") == 1 &&
               std::count(states.begin(), states.end(), "ESTABLISHED") == 1;
      }
      return states.size() == 1 && states.front() == state;
    }
    return false;
  }

  // Matches on nothing but (maybe) a comment.
  static bool unconditional(const Rule& r) {
    return r.in.empty() && r.out.empty() && r.source.empty() && r.destination.empty() && r.proto.empty() &&
           !r.negated && r.options.empty() && r.unknown.empty();
  }

  void guard(const std::string& chain, const std::string& role) {
    auto& rules = role == "input" ? out_.config.firewall->input : out_.config.firewall->forward;
    auto& notes = role == "input" ? out_.input_notes : out_.forward_notes;
    const bool accept_on_return = parent_policy_[chain] == "ACCEPT";
    bool closed = false;
    for (const auto& r : rules_) {
      if (r.table != "filter" || r.chain != chain) continue;
      const std::string where = "-A " + chain + (r.comment.empty() ? "" : " (" + r.comment + ")");
      if (closed) {
        out_.warn(file_, r.line, where + ": after the chain's final drop, never reached; not carried over");
        continue;
      }
      const bool accepts = r.target == "ACCEPT" || (r.target == "RETURN" && accept_on_return);
      if ((accepts || r.target == "RETURN") && has_state(r, "RELATED,ESTABLISHED")) continue;  // pairgate's own
      if (r.target == "DROP" && has_state(r, "INVALID")) continue;                            // pairgate's own
      if (r.target == "LOG" && unconditional(r)) {
        logged_ = true;
        continue;
      }
      if ((r.target == "DROP" || r.target == "REJECT") && unconditional(r)) {
        closed = true;
        continue;
      }
      if (r.target == "RETURN" && !accept_on_return) {
        out_.warn(file_, r.line, where + ": RETURN into a chain whose policy is not ACCEPT; not carried over");
        continue;
      }
      if (!accepts) {
        out_.warn(file_, r.line, where + " -j " + r.target + ": not carried over: pairgate's " + role +
                                     " rules accept, and what no rule accepts is dropped");
        continue;
      }
      carry(r, rules, notes, where);
    }
    if (!closed) {
      out_.warn(file_, chains_["filter/" + chain].line, chain + " ends without a drop, so what it did not match was accepted; pairgate drops it");
    }
  }

  void carry(const Rule& r, std::vector<conf::FirewallRule>& rules, std::vector<std::string>& notes,
             const std::string& where) {
    std::vector<std::string> lost;
    if (r.negated) lost.push_back("'!'");
    if (!r.in.empty()) lost.push_back("-i " + r.in);
    if (!r.out.empty()) lost.push_back("-o " + r.out);
    if (!r.destination.empty()) lost.push_back("-d " + r.destination);
    for (const auto& u : r.unknown) lost.push_back(u);
    conf::FirewallRule f;
    if (!r.source.empty()) {
      f.from = IpPrefix::parse(r.source, true);
      if (!f.from || f.from->family() != family_) {
        lost.push_back("-s " + r.source);
      } else if (!f.from->is_network()) {
        f.from = f.from->network();
      }
    }
    std::string note;
    auto proto = protocol(r.proto, family_, note);
    if (!proto) lost.push_back("-p " + r.proto);
    else f.proto = *proto;
    std::vector<std::uint16_t> dports;
    for (const auto& [k, v] : r.options) {
      const bool ports = f.proto == conf::Proto::tcp || f.proto == conf::Proto::udp;
      if ((k == "--dport" || k == "--destination-port" || k == "--sport" || k == "--source-port") && ports) {
        auto p = integer(v, 1, 65535);
        if (!p) {
          lost.push_back(k + " " + v);
        } else if (k == "--dport" || k == "--destination-port") {
          f.dport = static_cast<std::uint16_t>(*p);
        } else {
          f.sport = static_cast<std::uint16_t>(*p);
        }
      } else if ((k == "--dports" || k == "--destination-ports") && ports) {
        for (const auto& item : comma_list(v)) {
          if (auto p = integer(item, 1, 65535)) dports.push_back(static_cast<std::uint16_t>(*p));
          else lost.push_back(k + " " + item);
        }
      } else if ((k == "--state" || k == "--ctstate") && v == "NEW") {
        // pairgate accepts new connections that a rule matches.
      } else {
        lost.push_back(k + (v.empty() ? "" : " " + v));
      }
    }
    for (const auto& m : r.modules) {
      if (m != "tcp" && m != "udp" && m != "comment" && m != "state" && m != "conntrack" && m != "multiport" &&
          m != "icmp" && m != "icmp6") {
        lost.push_back("-m " + m);
      }
    }
    if (!lost.empty()) {
      std::string list;
      for (const auto& l : lost) list += (list.empty() ? "" : ", ") + l;
      out_.warn(file_, r.line, where + ": not carried over: pairgate's rules match source, protocol and ports "
                                       "only, not " + list);
      return;
    }
    // Restricted to the file's family unless from or proto say it already.
    const bool implied = f.from || f.proto == conf::Proto::icmp || f.proto == conf::Proto::vrrp ||
                         f.proto == conf::Proto::ipv6_icmp;
    if (!implied) f.family = family_;
    const std::string source = file_.substr(file_.rfind('/') + 1) + ":" + std::to_string(r.line) +
                               (r.comment.empty() ? "" : " " + r.comment) + (note.empty() ? "" : "; " + note);
    if (dports.empty()) {
      rules.push_back(f);
      notes.push_back(source);
    }
    for (auto p : dports) {
      f.dport = p;
      rules.push_back(f);
      notes.push_back(source);
    }
  }

  const std::string& file_;
  Family family_;
  Partial& out_;
  std::map<std::string, Chain> chains_;  // "table/chain"
  std::vector<Rule> rules_;
  std::set<std::string> jumped_;
  std::map<std::string, std::string> guards_;  // chain -> "input" | "forward"
  std::set<int> guard_rule_lines_;
  std::map<std::string, std::string> parent_policy_;
  bool logged_ = false;
};

}  // namespace

Partial import_iptables(std::string_view text, const std::string& file, Family family) {
  Partial out;
  Importer importer(file, family, out);
  importer.parse(text);
  importer.translate();
  return out;
}

}  // namespace pairgate::import
