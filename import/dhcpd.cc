#include "import/dhcpd.h"

#include <algorithm>
#include <cstdlib>

#include "import/text.h"

namespace pairgate::import {

namespace {

struct Token {
  std::string text;
  int line;
  bool quoted;
  bool is(std::string_view s) const { return !quoted && text == s; }
};

struct Statement {
  int line = 0;
  std::vector<Token> words;  // commas kept, for option lists
  bool has_block = false;
  std::vector<Statement> block;
  std::string key() const { return words.empty() ? std::string() : words.front().text; }
  std::string arg(std::size_t i) const { return i < words.size() ? words[i].text : std::string(); }
  // The words from `from` on, joined by spaces (commas as they are).
  std::string rest(std::size_t from) const {
    std::string out;
    for (std::size_t i = from; i < words.size(); ++i) {
      if (!out.empty() && !words[i].is(",")) out += ' ';
      out += words[i].text;
    }
    return out;
  }
};

class Parser {
 public:
  Parser(const std::string& file, Partial& out) : file_(file), out_(out) {}

  std::vector<Statement> parse(std::string_view text) {
    tokenize(text);
    std::size_t i = 0;
    return build(i, 0, false);
  }

 private:
  void tokenize(std::string_view text) {
    int n = 0;
    for (auto line : lines(text)) {
      ++n;
      std::size_t i = 0;
      while (i < line.size()) {
        const char c = line[i];
        if (c == ' ' || c == '\t') {
          ++i;
        } else if (c == '#') {
          break;
        } else if (c == ';' || c == '{' || c == '}' || c == ',') {
          tokens_.push_back({std::string(1, c), n, false});
          ++i;
        } else if (c == '"') {
          std::string s;
          std::size_t j = i + 1;
          for (; j < line.size() && line[j] != '"'; ++j) {
            if (line[j] == '\\' && j + 1 < line.size()) ++j;
            s += line[j];
          }
          if (j >= line.size()) out_.warn(file_, n, "a quoted string is not closed at the end of the line");
          tokens_.push_back({s, n, true});
          i = j + 1;
        } else {
          const auto end = line.find_first_of(" \t;{},\"#", i);
          tokens_.push_back({std::string(line.substr(i, end - i)), n, false});
          i = end == std::string_view::npos ? line.size() : end;
        }
      }
    }
  }

  std::vector<Statement> build(std::size_t& i, int depth, bool nested) {
    std::vector<Statement> out;
    Statement cur;
    auto finish = [&] {
      if (cur.words.empty() && !cur.has_block) return;
      if (++count_ > kMaxItems) {
        if (count_ == kMaxItems + 1) {
          out_.warn(file_, cur.line, "more than " + std::to_string(kMaxItems) + " statements; the rest is not read");
        }
      } else {
        out.push_back(std::move(cur));
      }
      cur = Statement{};
    };
    while (i < tokens_.size()) {
      const Token& t = tokens_[i++];
      if (cur.words.empty() && !cur.has_block) cur.line = t.line;
      if (t.is(";")) {
        finish();
      } else if (t.is("{")) {
        cur.has_block = true;
        if (depth + 1 > kMaxDepth) {
          out_.warn(file_, t.line, "blocks nested more than " + std::to_string(kMaxDepth) + " deep; skipped");
          for (int open = 1; i < tokens_.size() && open > 0; ++i) {
            open += tokens_[i].is("{") ? 1 : tokens_[i].is("}") ? -1 : 0;
          }
        } else {
          cur.block = build(i, depth + 1, true);
        }
        finish();
      } else if (t.is("}")) {
        if (!cur.words.empty()) {
          out_.warn(file_, cur.line, cur.key() + ": no ';' before '}'");
          finish();
        }
        if (nested) return out;
        out_.warn(file_, t.line, "'}' without a block to close");
      } else {
        cur.words.push_back(t);
      }
    }
    if (!cur.words.empty()) out_.warn(file_, cur.line, cur.key() + ": no ';' at the end of the file");
    if (nested) out_.warn(file_, tokens_.empty() ? 0 : tokens_.back().line, "a block is not closed at the end of the file");
    return out;
  }

  const std::string& file_;
  Partial& out_;
  std::vector<Token> tokens_;
  std::size_t count_ = 0;
};

// What a scope (global, shared-network, subnet, pool, group, host) sets;
// inner scopes inherit from outer ones.
struct Scope {
  conf::DhcpOptions options;
  std::optional<conf::Duration> lease_time;
  std::optional<conf::Duration> max_lease_time;
  std::optional<conf::ConflictCheck> conflict_check;
};

struct Host {
  std::string name;
  int line = 0;
  conf::Reservation r;
  std::string hostname;
};

struct Subnet {
  int line = 0;
  conf::DhcpSubnet s;
  std::string shared_network;
};

class Importer {
 public:
  Importer(const std::string& file, Partial& out) : file_(file), out_(out) {}

  void run(const std::vector<Statement>& top) {
    Scope global;
    walk(top, global, "", /*subnet=*/nullptr);
    place_hosts();
    conf::Dhcp dhcp;
    for (auto& sn : subnets_) {
      if (sn.s.pools.empty() && sn.s.reservations.empty()) {
        out_.warn(file_, sn.line, "subnet " + sn.s.subnet.to_string() + ": no range and no host; not served, "
                                  "not carried over");
        continue;
      }
      split_pools(sn);
      dhcp.subnets.push_back(std::move(sn.s));
    }
    out_.usable = !dhcp.subnets.empty();
    if (out_.usable) out_.config.dhcp = std::move(dhcp);
  }

 private:
  // Statements that mean something in every scope; true when `s` was one.
  bool scoped(const Statement& s, Scope& scope) {
    const auto k = s.key();
    if (k == "option") {
      option(s, scope.options);
    } else if (k == "default-lease-time" || k == "max-lease-time") {
      auto n = integer(s.arg(1), 10, 8760LL * 3600);
      if (!n) {
        out_.warn(file_, s.line, k + ": expected seconds 10.." + std::to_string(8760LL * 3600) + ", got '" +
                                     s.arg(1) + "'; not carried over");
      } else {
        (k == "default-lease-time" ? scope.lease_time : scope.max_lease_time) = std::chrono::seconds(*n);
      }
    } else if (k == "ping-check") {
      scope.conflict_check = s.arg(1) == "false" || s.arg(1) == "off" ? conf::ConflictCheck::none
                                                                         : conf::ConflictCheck::automatic;
    } else if (k == "ddns-update-style" && s.arg(1) == "none") {
      // pairgate makes no DNS updates either.
    } else if (k == "ddns-updates" && (s.arg(1) == "off" || s.arg(1) == "false")) {
    } else if (k == "not" && s.arg(1) == "authoritative") {
      // pairgate NAKs only what it knows to be wrong, like a server that is not authoritative.
    } else if (k == "authoritative") {
      out_.warn(file_, s.line, "authoritative: not carried over: pairgate serves half of a split range and NAKs "
                               "only an address that is not on the client's network or that its own record "
                               "gives to another client");
    } else {
      return false;
    }
    return true;
  }

  // Returns the scope as the block's own statements leave it.
  Scope walk(const std::vector<Statement>& list, Scope scope, const std::string& shared, Subnet* subnet) {
    // Scope statements first: in dhcpd they apply to the whole block.
    std::vector<bool> done(list.size());
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!list[i].has_block) done[i] = scoped(list[i], scope);
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const Statement& s = list[i];
      const auto k = s.key();
      if (!s.has_block) {
        if (done[i]) continue;
        if (k == "range" && subnet) {
          range(s, *subnet);
        } else {
          not_carried(s);
        }
        continue;
      }
      if (k == "subnet") {
        if (subnet) {
          out_.warn(file_, s.line, "subnet inside a subnet; not carried over");
          continue;
        }
        open_subnet(s, scope, shared);
      } else if (k == "shared-network" && !subnet) {
        out_.comments["dhcp"] = "dhcpd's shared-network " + s.arg(1) + ": its subnets are served on one interface";
        walk(s.block, scope, s.arg(1), nullptr);
      } else if (k == "group") {
        walk(s.block, scope, shared, subnet);
      } else if (k == "pool" && subnet) {
        Scope pool_scope = scope;
        for (const auto& p : s.block) {
          if (p.has_block) {
            not_carried(p);
          } else if (p.key() == "range") {
            range(p, *subnet);
          } else if (!scoped(p, pool_scope)) {
            not_carried(p);
          } else if (p.key() == "option") {
            out_.warn(file_, p.line, "option " + p.arg(1) + " in a pool: pairgate sets options per subnet; not carried over");
          }
        }
      } else if (k == "host") {
        host(s, scope);
      } else {
        not_carried(s);
      }
    }
    return scope;
  }

  void not_carried(const Statement& s) {
    std::string what = s.key();
    const auto k = s.key();
    std::string why;
    if (k == "failover") why = ": pairgate splits the range between the two hosts instead";
    else if (k == "include") why = ": include the file's statements in dhcpd.conf, or import it separately";
    else if (k == "log-facility") why = ": pairgated logs to the journal";
    else if (k == "next-server" || k == "filename") why = ": pairgate does not serve network boot (PXE)";
    else if (k == "server-identifier") why = ": pairgate uses its own address on the interface";
    else if (k == "ddns-update-style" || k == "ddns-updates" || k.starts_with("ddns-") || k == "update-static-leases")
      why = ": pairgate makes no DNS updates";
    else if (k == "allow" || k == "deny" || k == "ignore")
      why = ": pairgate serves every client";
    else if (k == "class" || k == "subclass" || k == "on" || k == "if") why = ": pairgate has no client classes";
    if (s.words.size() > 1 && k != "option") what += " " + s.arg(1);
    out_.warn(file_, s.line, what + ": not carried over" + why);
  }

  void option(const Statement& s, conf::DhcpOptions& o) {
    const std::string name = s.arg(1);
    const std::string value = s.rest(2);
    auto v4_list = [&](std::vector<Ipv4Address>& into) {
      std::vector<Ipv4Address> list;
      for (const auto& item : comma_list(value)) {
        auto a = Ipv4Address::parse(item);
        if (!a) {
          out_.warn(file_, s.line, "option " + name + ": '" + item + "' is not an IPv4 address (pairgate needs "
                                   "addresses, not names); not carried over");
          continue;
        }
        list.push_back(*a);
      }
      into = list;
    };
    if (name == "routers") {
      v4_list(o.routers);
    } else if (name == "domain-name-servers") {
      v4_list(o.domain_name_servers);
    } else if (name == "ntp-servers") {
      v4_list(o.ntp_servers);
    } else if (name == "domain-name") {
      o.domain_name = value;
    } else if (name == "broadcast-address") {
      if (auto a = Ipv4Address::parse(value)) o.broadcast_address = *a;
      else out_.warn(file_, s.line, "option broadcast-address: '" + value + "' is not an IPv4 address");
    } else if (name == "interface-mtu") {
      if (auto n = integer(value, 68, 65535)) o.interface_mtu = static_cast<unsigned>(*n);
      else out_.warn(file_, s.line, "option interface-mtu: '" + value + "' is not 68..65535");
    } else if (name == "subnet-mask") {
      // pairgate derives it from the subnet.
    } else if (name == "host-name" || name == "dhcp-client-identifier") {
      // Read with the host.
    } else if (s.arg(2) == "code") {
      out_.warn(file_, s.line, "option " + name + " code ...: option definitions are not carried over; give the "
                               "option's bytes under options.custom");
    } else {
      out_.warn(file_, s.line, "option " + name + ": not carried over; pairgate has no key for it (give its code "
                               "and bytes under options.custom)");
    }
  }

  void open_subnet(const Statement& s, Scope scope, const std::string& shared) {
    auto net = Ipv4Address::parse(s.arg(1));
    auto mask = Ipv4Address::parse(s.arg(3));
    unsigned len = 0;
    bool contiguous = mask.has_value();
    if (mask) {
      const std::uint32_t m = mask->to_uint();
      len = static_cast<unsigned>(__builtin_popcount(m));
      contiguous = m == (len == 0 ? 0u : ~std::uint32_t{0} << (32 - len));
    }
    if (!net || s.arg(2) != "netmask" || !contiguous) {
      out_.warn(file_, s.line, "subnet " + s.rest(1) + ": expected 'subnet ADDRESS netmask MASK'; not carried over");
      return;
    }
    const IpPrefix prefix(*net, len);
    if (!prefix.is_network() || len > 30) {
      out_.warn(file_, s.line, "subnet " + prefix.to_string() + ": not a network of /30 or shorter; not carried over");
      return;
    }
    for (const auto& other : subnets_) {
      if (other.s.subnet.overlaps(prefix)) {
        out_.warn(file_, s.line, "subnet " + prefix.to_string() + " overlaps " + other.s.subnet.to_string() +
                                 "; not carried over");
        return;
      }
    }
    Subnet sn;
    sn.line = s.line;
    sn.shared_network = shared;
    sn.s.subnet = prefix;
    subnets_.push_back(std::move(sn));
    const std::size_t index = subnets_.size() - 1;
    // The subnet's own statements override the outer ones.
    const Scope inner = walk(s.block, scope, shared, &subnets_[index]);
    conf::DhcpSubnet& d = subnets_[index].s;
    d.options = inner.options;
    if (inner.lease_time) d.lease_time = *inner.lease_time;
    if (inner.max_lease_time) d.max_lease_time = *inner.max_lease_time;
    if (inner.conflict_check) d.conflict_check = *inner.conflict_check;
    if (d.lease_time > d.max_lease_time) {
      out_.warn(file_, s.line, "subnet " + prefix.to_string() + ": default-lease-time is longer than max-lease-time; "
                               "max_lease_time is raised to it");
      d.max_lease_time = d.lease_time;
    }
    auto& routers = d.options.routers;
    std::erase_if(routers, [&](const Ipv4Address& r) {
      const bool usable = prefix.contains(r) && r != prefix.address().v4() && r != prefix.v4_last();
      if (!usable) {
        out_.warn(file_, s.line, "option routers " + r.to_string() + ": not a usable address of " +
                                 prefix.to_string() + "; not carried over");
      }
      return !usable;
    });
    if (d.options.broadcast_address && !prefix.contains(*d.options.broadcast_address)) {
      out_.warn(file_, s.line, "option broadcast-address: not in " + prefix.to_string() + "; not carried over");
      d.options.broadcast_address.reset();
    }
  }

  void range(const Statement& s, Subnet& sn) {
    std::size_t i = 1;
    if (s.arg(1) == "dynamic-bootp") {
      out_.warn(file_, s.line, "range dynamic-bootp: pairgate serves DHCP clients only; the range is carried over");
      ++i;
    }
    auto first = Ipv4Address::parse(s.arg(i));
    auto last = s.words.size() > i + 1 ? Ipv4Address::parse(s.arg(i + 1)) : first;
    if (!first || !last) {
      out_.warn(file_, s.line, "range " + s.rest(1) + ": expected one or two IPv4 addresses; not carried over");
      return;
    }
    if (*last < *first) std::swap(*first, *last);  // dhcpd takes either order
    const auto& p = sn.s.subnet;
    const Ipv4Address network = p.address().v4(), broadcast = p.v4_last();
    if (!p.contains(*first) || !p.contains(*last)) {
      out_.warn(file_, s.line, "range " + s.rest(1) + ": not inside subnet " + p.to_string() + "; not carried over");
      return;
    }
    if (*first == network) first = Ipv4Address(network.to_uint() + 1);
    if (*last == broadcast) last = Ipv4Address(broadcast.to_uint() - 1);
    if (*last < *first) {
      out_.warn(file_, s.line, "range " + s.rest(1) + ": only the network or broadcast address; not carried over");
      return;
    }
    const Ipv4Range r{*first, *last};
    for (const auto& other : subnets_) {
      for (const auto& pool : other.s.pools) {
        if (pool.range.overlaps(r)) {
          out_.warn(file_, s.line, "range " + r.to_string() + " overlaps " + pool.range.to_string() + "; not carried over");
          return;
        }
      }
    }
    sn.s.pools.push_back({r, {}});
  }

  void host(const Statement& s, const Scope&) {
    Host h;
    h.name = s.arg(1);
    h.line = s.line;
    std::vector<Ipv4Address> fixed;
    for (const auto& x : s.block) {
      const auto k = x.key();
      if (k == "hardware" && x.arg(1) == "ethernet") {
        h.r.hw_address = MacAddress::parse(x.arg(2));
        if (!h.r.hw_address) out_.warn(file_, x.line, "host " + h.name + ": '" + x.arg(2) + "' is not a MAC address");
      } else if (k == "fixed-address") {
        for (const auto& item : comma_list(x.rest(1))) {
          if (auto a = Ipv4Address::parse(item)) {
            fixed.push_back(*a);
          } else {
            out_.warn(file_, x.line, "host " + h.name + ": fixed-address '" + item + "' is not an IPv4 address "
                                     "(pairgate needs addresses, not names)");
          }
        }
      } else if (k == "option" && x.arg(1) == "host-name") {
        h.hostname = x.rest(2);
      } else if (k == "option" && x.arg(1) == "dhcp-client-identifier") {
        const auto& w = x.words.size() > 2 ? x.words[2] : Token{};
        if (w.quoted) {
          h.r.client_id.assign(w.text.begin(), w.text.end());
        } else {
          bool ok = !w.text.empty();
          std::string hex = w.text;
          std::vector<std::uint8_t> bytes;
          std::size_t start = 0;
          while (ok && start <= hex.size()) {
            const auto colon = hex.find(':', start);
            auto byte = hex.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
            char* end = nullptr;
            const long b = std::strtol(byte.c_str(), &end, 16);
            ok = !byte.empty() && byte.size() <= 2 && end && *end == '\0' && b >= 0 && b <= 255;
            if (ok) bytes.push_back(static_cast<std::uint8_t>(b));
            if (colon == std::string::npos) break;
            start = colon + 1;
          }
          if (ok) h.r.client_id = bytes;
          else out_.warn(file_, x.line, "host " + h.name + ": dhcp-client-identifier '" + w.text + "' not understood");
        }
      } else {
        std::string what = k == "option" ? "option " + x.arg(1) : k;
        out_.warn(file_, x.line, "host " + h.name + ": " + what + " not carried over (pairgate reserves an address "
                                 "by MAC or client id, with a hostname)");
      }
    }
    if (h.r.hw_address && !h.r.client_id.empty()) {
      out_.warn(file_, s.line, "host " + h.name + ": both hardware ethernet and dhcp-client-identifier; pairgate "
                               "matches one, the client identifier is kept");
      h.r.hw_address.reset();
    }
    if (!h.r.hw_address && h.r.client_id.size() < 2) {
      out_.warn(file_, s.line, "host " + h.name + ": no hardware ethernet or dhcp-client-identifier; not carried over");
      return;
    }
    if (fixed.empty()) {
      out_.warn(file_, s.line, "host " + h.name + ": no fixed-address: the client gets an address from the "
                               "pools anyway; not carried over");
      return;
    }
    if (h.hostname.empty() && !h.name.empty()) h.hostname = h.name;
    for (const auto& a : fixed) {
      Host one = h;
      one.r.address = a;
      hosts_.push_back(one);
    }
  }

  void place_hosts() {
    for (auto& h : hosts_) {
      auto it = std::find_if(subnets_.begin(), subnets_.end(),
                             [&](const Subnet& sn) { return sn.s.subnet.contains(h.r.address); });
      if (it == subnets_.end()) {
        out_.warn(file_, h.line, "host " + h.name + ": " + h.r.address.to_string() + " is in no subnet; not carried over");
        continue;
      }
      const auto& p = it->s.subnet;
      if (h.r.address == p.address().v4() || h.r.address == p.v4_last()) {
        out_.warn(file_, h.line, "host " + h.name + ": " + h.r.address.to_string() + " is the network or broadcast "
                                 "address; not carried over");
        continue;
      }
      auto& list = it->s.reservations;
      const bool dup = std::any_of(list.begin(), list.end(), [&](const conf::Reservation& o) {
        return o.address == h.r.address || (h.r.hw_address && o.hw_address == h.r.hw_address) ||
               (!h.r.client_id.empty() && o.client_id == h.r.client_id);
      });
      if (dup) {
        out_.warn(file_, h.line, "host " + h.name + ": its address or client is reserved already; not carried over");
        continue;
      }
      conf::Reservation r = h.r;
      r.hostname = h.hostname;
      list.push_back(r);
    }
  }

  // pairgate keeps reservations out of the pools: a reserved address inside
  // a range splits the range around it.
  void split_pools(Subnet& sn) {
    std::vector<conf::Pool> pools;
    bool split = false;
    for (const auto& pool : sn.s.pools) {
      std::vector<Ipv4Range> parts{pool.range};
      for (const auto& r : sn.s.reservations) {
        std::vector<Ipv4Range> next;
        for (const auto& part : parts) {
          if (!part.contains(r.address)) {
            next.push_back(part);
            continue;
          }
          split = true;
          if (part.first < r.address) next.push_back({part.first, Ipv4Address(r.address.to_uint() - 1)});
          if (r.address < part.last) next.push_back({Ipv4Address(r.address.to_uint() + 1), part.last});
        }
        parts = std::move(next);
      }
      for (const auto& p : parts) pools.push_back({p, {}});
    }
    if (split) {
      out_.comments["dhcp.subnets[" + sn.s.subnet.to_string() + "].pools"] =
          "the ranges less the reserved addresses (pairgate keeps reservations out of its pools)";
    }
    sn.s.pools = std::move(pools);
  }

  const std::string& file_;
  Partial& out_;
  std::vector<Subnet> subnets_;
  std::vector<Host> hosts_;
};

}  // namespace

Partial import_dhcpd(std::string_view text, const std::string& file) {
  Partial out;
  Parser parser(file, out);
  const auto top = parser.parse(text);
  Importer(file, out).run(top);
  return out;
}

}  // namespace pairgate::import
