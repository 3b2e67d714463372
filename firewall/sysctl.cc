#include "firewall/sysctl.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <optional>
#include <spdlog/spdlog.h>

#include "conf/diff.h"

namespace pairgate::firewall {

namespace {

std::string trim(std::string s) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\t'; };
  while (!s.empty() && is_space(s.back())) s.pop_back();
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), [&](char c) { return !is_space(c); }));
  return s;
}

// A sysctl value is a line or a few numbers; 4 KiB is more than any has.
// Opened close-on-exec: a notify program started meanwhile inherits nothing.
std::optional<std::string> read_value(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string out(4096, '\0');
  const ssize_t n = ::read(fd, out.data(), out.size());
  const int e = errno;
  ::close(fd);
  errno = e;
  if (n < 0) return std::nullopt;
  out.resize(static_cast<std::size_t>(n));
  return trim(std::move(out));
}

bool write_value(const std::string& file, const std::string& value) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const std::string line = value + "\n";
  const ssize_t n = ::write(fd, line.data(), line.size());
  const int e = errno;
  ::close(fd);
  errno = e;
  return n == static_cast<ssize_t>(line.size());
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
// outlive the firewall table that guarded it. A value someone else wrote
// since is theirs and stays.
void SysctlService::restore(const Entry& e, std::string_view why) {
  if (!e.error.empty() || e.previous == e.value) return;
  const std::string file = path(e.key);
  auto now = read_value(file);
  if (now && *now != e.value) {
    spdlog::warn("sysctl {}: {}; left at {}, which pairgate did not write (it wrote {}, found {})", e.key, why, *now,
                 e.value, e.previous);
    return;
  }
  if (write_value(file, e.previous)) {
    spdlog::info("sysctl {}: {} -> {} ({}; restored)", e.key, e.value, e.previous, why);
  } else {
    spdlog::error("sysctl {}: cannot restore {}: {}", e.key, e.previous, std::strerror(errno));
  }
}

void SysctlService::stop(std::function<void()> done) {
  for (const auto& e : entries_) restore(e, "stopping");
  entries_.clear();
  done();
}

void SysctlService::start(const conf::Config& config) { apply(config); }

void SysctlService::reload(const conf::Config& config, const conf::ConfigDiff& diff) {
  if (diff.sysctl) apply(config);
}

void SysctlService::apply(const conf::Config& config) {
  // Keys the file no longer names go back first, as on stop.
  for (const auto& old : entries_) {
    const bool kept = std::any_of(config.sysctl.begin(), config.sysctl.end(), [&](const auto& e) { return e.key == old.key; });
    if (!kept) restore(old, "no longer in the configuration");
  }
  std::vector<Entry> next;
  for (const auto& e : config.sysctl) {
    Entry entry{e.key, e.value, "", ""};
    // Keep the value found before pairgate's first write.
    auto old = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& x) { return x.key == e.key; });
    const std::string file = path(e.key);
    auto current = read_value(file);
    if (!current) {
      entry.error = std::string("cannot read ") + file + ": " + std::strerror(errno);
      spdlog::error("sysctl {}: {}", e.key, entry.error);
      next.push_back(std::move(entry));
      continue;
    }
    const std::string now = *current;
    entry.previous = old != entries_.end() && old->error.empty() ? old->previous : now;
    if (now != e.value) {
      if (!write_value(file, e.value)) {
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
