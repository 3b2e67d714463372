#include "firewall/sysctl.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <sstream>

#include "conf/diff.h"

namespace pairgate::firewall {

namespace {

std::string trim(std::string s) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\t'; };
  while (!s.empty() && is_space(s.back())) s.pop_back();
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), [&](char c) { return !is_space(c); }));
  return s;
}

}  // namespace

// sysctl(8): dots separate levels unless the key is written with slashes,
// where dots belong to names ("net/ipv4/conf/eth0.100/rp_filter").
std::string SysctlService::path(const std::string& key) const {
  std::string rel = key;
  if (rel.find('/') == std::string::npos) std::replace(rel.begin(), rel.end(), '.', '/');
  return root_ + "/" + rel;
}

// What pairgate changed goes back as it found it: forwarding must not
// outlive the firewall table that guarded it.
void SysctlService::stop(std::function<void()> done) {
  for (const auto& e : entries_) {
    if (!e.error.empty() || e.previous == e.value) continue;
    std::ofstream out(path(e.key));
    out << e.previous << "\n";
    out.flush();
    if (out) {
      spdlog::info("sysctl {}: {} -> {} (restored)", e.key, e.value, e.previous);
    } else {
      spdlog::error("sysctl {}: cannot restore {}: {}", e.key, e.previous, std::strerror(errno));
    }
  }
  done();
}

void SysctlService::start(const conf::Config& config) { apply(config); }

void SysctlService::reload(const conf::Config& config, const conf::ConfigDiff& diff) {
  if (diff.sysctl) apply(config);
}

void SysctlService::apply(const conf::Config& config) {
  std::vector<Entry> next;
  for (const auto& e : config.sysctl) {
    Entry entry{e.key, e.value, "", ""};
    // Keep the value found before pairgate's first write.
    auto old = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& x) { return x.key == e.key; });
    const std::string file = path(e.key);
    std::ifstream in(file);
    std::stringstream current;
    if (in) current << in.rdbuf();
    if (!in) {
      entry.error = std::string("cannot read ") + file + ": " + std::strerror(errno);
      spdlog::error("sysctl {}: {}", e.key, entry.error);
      next.push_back(std::move(entry));
      continue;
    }
    const std::string now = trim(current.str());
    entry.previous = old != entries_.end() && old->error.empty() ? old->previous : now;
    if (now != e.value) {
      std::ofstream out(file);
      out << e.value << "\n";
      out.flush();
      if (!out) {
        entry.error = std::string("cannot write ") + file + ": " + std::strerror(errno);
        spdlog::error("sysctl {}: {}", e.key, entry.error);
      } else {
        spdlog::info("sysctl {}: {} -> {}", e.key, now, e.value);
      }
    } else {
      spdlog::info("sysctl {}: already {}", e.key, now);
    }
    next.push_back(std::move(entry));
  }
  entries_ = std::move(next);
}

void SysctlService::status(nlohmann::json& out) const {
  auto list = nlohmann::json::array();
  for (const auto& e : entries_) {
    nlohmann::json j = {{"key", e.key}, {"value", e.value}, {"previous", e.previous}};
    if (!e.error.empty()) j["error"] = e.error;
    list.push_back(std::move(j));
  }
  out["sysctl"] = std::move(list);
}

}  // namespace pairgate::firewall
