#include "app/status_table.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace pairgate {

namespace {

using json = nlohmann::json;

// Strings from the daemon may carry what clients sent (DHCP host names):
// control characters are shown escaped, never sent to the terminal.
std::string clean(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string text(const json& j, const char* key, const char* missing = "-") {
  if (!j.is_object()) return missing;
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return missing;
  if (it->is_string()) return clean(it->get<std::string>());
  if (it->is_boolean()) return it->get<bool>() ? "yes" : "no";
  if (it->is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", it->get<double>());
    return buf;
  }
  if (it->is_array()) {
    std::string out;
    for (const auto& e : *it) out += (out.empty() ? "" : ",") + (e.is_string() ? clean(e.get<std::string>()) : e.dump());
    return out.empty() ? missing : out;
  }
  return it->dump();
}

// A table whose columns are as wide as their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string str() const {
    std::vector<std::size_t> width;
    for (const auto& r : rows_) {
      width.resize(std::max(width.size(), r.size()));
      for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    std::string out;
    for (const auto& r : rows_) {
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i) {
        line += r[i];
        if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
      }
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string uptime(double seconds) {
  long s = static_cast<long>(seconds);
  char buf[64];
  if (s >= 86400) {
    std::snprintf(buf, sizeof buf, "%ldd %ldh %ldm", s / 86400, s % 86400 / 3600, s % 3600 / 60);
  } else if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ldh %ldm %lds", s / 3600, s % 3600 / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ldm %lds", s / 60, s % 60);
  }
  return buf;
}

}  // namespace

std::string render_status(const json& s) {
  std::string out = "node " + text(s, "node");
  if (s.contains("uptime_s") && s["uptime_s"].is_number()) out += ", up " + uptime(s["uptime_s"].get<double>());
  out += "\n";

  if (auto v = s.find("vrrp"); v != s.end() && v->is_array() && !v->empty()) {
    Table t({"VRRP", "INTERFACE", "VRID", "STATE", "PRIO", "EFFECTIVE", "MASTER", "VIRTUAL ADDRESSES"});
    for (const auto& i : *v) {
      t.add({text(i, "name"), text(i, "interface"), text(i, "vrid"), text(i, "state"), text(i, "priority"),
             text(i, "effective_priority"), text(i, "master"), text(i, "virtual_addresses")});
    }
    out += "\n" + t.str();
  }

  if (auto d = s.find("dhcp"); d != s.end() && d->is_object()) {
    out += "\nDHCP: " + text(*d, "leases_active", "0") + " active leases";
    if (d->contains("serving")) out += ", serving: " + text(*d, "serving");
    out += "\n";
    if (auto c = d->find("counters"); c != d->end() && c->is_object()) {
      out += "  received " + text(*c, "pkt4-received", "0") + ", offers " + text(*c, "pkt4-offer-sent", "0") +
             ", acks " + text(*c, "pkt4-ack-sent", "0") + ", naks " + text(*c, "pkt4-nak-sent", "0") + ", declined " +
             text(*c, "declined-addresses", "0") + ", conflicts " + text(*c, "conflicts", "0") + "\n";
    }
    if (auto f = d->find("lease_file"); f != d->end() && f->is_object()) {
      out += "  lease file " + text(*f, "path") + ": " +
             (text(*f, "ok") == "no" ? "FAILING: " + text(*f, "error") : std::string("ok")) + "\n";
    }
    if (auto p = d->find("pools"); p != d->end() && p->is_array() && !p->empty()) {
      Table t({"SUBNET", "INTERFACE", "RANGE", "SIZE", "USED"});
      for (const auto& pool : *p) {
        t.add({text(pool, "subnet"), text(pool, "interface"), text(pool, "range"), text(pool, "size"),
               text(pool, "used")});
      }
      out += t.str();
    }
  }

  if (auto tl = s.find("tunnels"); tl != s.end() && tl->is_array() && !tl->empty()) {
    Table t({"TUNNEL", "STATE", "LOCAL", "REMOTE", "RTT MS", "FAILURES", "REASON"});
    for (const auto& tun : *tl) {
      const json health = tun.is_object() ? tun.value("health", json::object()) : json::object();
      t.add({text(tun, "name"), text(tun, "state"), text(tun, "local"), text(tun, "remote"),
             text(health, "last_rtt_ms"), text(health, "failures"), text(tun, "reason", "")});
    }
    out += "\n" + t.str();
    // Under the table, what a MAP-E tunnel computed and how a fixed-IP
    // tunnel's update URL fares (issue 17): one line each.
    for (const auto& tun : *tl) {
      if (!tun.is_object()) continue;
      if (auto m = tun.find("map"); m != tun.end() && m->is_object()) {
        const auto sets = m->find("port_sets");
        const std::size_t n = sets != m->end() && sets->is_array() ? sets->size() : 0;
        out += "  " + text(tun, "name") + ": MAP-E CE " + text(*m, "ipv4") + " PSID " + text(*m, "psid") + "/" +
               text(*m, "psid_length") + ", " + std::to_string(n) + " port sets, " + text(*m, "port_count") +
               " ports; CE " + text(*m, "ce_ipv6") + " (" + text(*m, "interface_id") + ") from " +
               text(*m, "delegated_prefix") + ", BR " + text(*m, "br") + "\n";
      }
      if (auto u = tun.find("update"); u != tun.end() && u->is_object()) {
        out += "  " + text(tun, "name") + ": update " + text(*u, "url") + ": ";
        if (text(*u, "in_flight") == "yes") {
          out += "calling";
        } else if (u->contains("error") && !(*u)["error"].is_null()) {
          out += "FAILING: " + text(*u, "error");  // "HTTP status 503", or curl's message
        } else if (text(*u, "last_success") != "-") {
          out += "ok at " + text(*u, "last_success") + " for " + text(*u, "address");
        } else {
          out += "not called yet";
        }
        if (text(*u, "retry_in_s") != "-") out += ", next call in " + text(*u, "retry_in_s") + " s";
        out += ", " + text(*u, "successes", "0") + " ok, " + text(*u, "failures", "0") + " failed\n";
      }
    }
  }

  if (auto p = s.find("peer"); p != s.end() && p->is_object()) {
    // One line: who, the state and since when, and what an operator looks
    // at next (round trip, backlog, refusals).
    std::string who = text(*p, "node", "");
    who = who.empty() ? text(*p, "address") : who + " (" + text(*p, "address") + ")";
    out += "\nPEER " + who + ": " + text(*p, "state");
    if (p->contains("since_s") && (*p)["since_s"].is_number()) out += " for " + uptime((*p)["since_s"].get<double>());
    if (p->contains("reason") && text(*p, "state") != "in-sync") out += " (" + text(*p, "reason") + ")";
    if (auto r = p->find("rtt_ms"); r != p->end() && r->is_number()) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.2f", r->get<double>());
      out += std::string(", rtt ") + buf + " ms";
    }
    out += ", backlog " + text(*p, "backlog", "0");
    std::uint64_t rejected = 0;
    if (auto r = p->find("rejected"); r != p->end() && r->is_object()) {
      for (const auto& [k, v] : r->items()) {
        if (v.is_number_unsigned()) rejected += v.get<std::uint64_t>();
      }
    }
    out += ", rejected " + std::to_string(rejected) + "\n";
  }

  if (auto f = s.find("firewall"); f != s.end() && f->is_object()) {
    out += "\nFIREWALL: table " + text(*f, "table") + ", applied: " + text(*f, "applied");
    if (f->contains("error")) out += ", error: " + text(*f, "error");
    out += "\n";
    // MAP-E NAT: the port sets' use as of the last reading.
    if (auto mp = f->find("mape"); mp != f->end() && mp->is_object()) {
      for (const auto& [tunnel, m] : mp->items()) {
        out += "MAP-E NAT " + clean(tunnel) + ": " + text(m, "address");
        if (auto u = m.find("usage"); u != m.end() && u->is_object()) {
          out += ", " + text(*u, "ports_in_use", "0") + " of " + text(*u, "ports", "0") + " ports in use by " +
                 text(*u, "flows", "0") + " flows, sets max/min " + text(*u, "max_min_ratio", "inf") +
                 ", exhausted drops " + text(*u, "exhausted_drops", "0") + ", outside " + text(*u, "outside", "0");
        }
        out += "\n";
      }
    }
    // State sync (issue 14): the role, what is cached or sent, what was
    // dropped and the last takeover's commit -- what an operator checks
    // before pulling a router's plug.
    if (auto ss = f->find("state_sync"); ss != f->end() && ss->is_object()) {
      std::uint64_t dropped = 0;
      if (auto d = ss->find("dropped"); d != ss->end() && d->is_object()) {
        for (const auto& [k, v] : d->items()) {
          if (v.is_number_unsigned()) dropped += v.get<std::uint64_t>();
        }
      }
      out += "STATE SYNC: " + text(*ss, "role") + ", cached " + text(*ss, "cached", "0") + ", sent " +
             text(*ss, "sent", "0") + ", received " + text(*ss, "received", "0") + ", dropped " +
             std::to_string(dropped);
      if (auto n = ss->find("last_commit_entries"); n != ss->end() && n->is_number()) {
        out += ", last commit " + text(*ss, "last_commit_entries") + " entries in " + text(*ss, "last_commit_ms") + " ms";
      }
      out += "\n";
    }
  }

  if (auto r = s.find("reload"); r != s.end() && r->is_object() && r->contains("last_error")) {
    out += "\nlast reload failed: " + text(*r, "last_error") + "\n";
  }
  return out;
}

std::string render_leases(const json& leases) {
  if (!leases.is_array() || leases.empty()) return "no leases\n";
  Table t({"ADDRESS", "HW ADDRESS", "CLIENT ID", "HOSTNAME", "EXPIRES"});
  for (const auto& l : leases) {
    t.add({text(l, "address"), text(l, "hw_address"), text(l, "client_id"), text(l, "hostname"), text(l, "expires")});
  }
  return t.str();
}

std::string render_event(const json& event) {
  return text(event, "time") + " #" + text(event, "seq") + " " + text(event, "kind") + " " +
         text(event, "message", "") + "\n";
}

}  // namespace pairgate
