#include "import/sources.h"

#include <fnmatch.h>
#include <glob.h>

#include <algorithm>

#include "conf/read_source.h"
#include "import/partial.h"

namespace pairgate::import {

RootSources::RootSources(std::string root) : root_(std::move(root)) {
  while (!root_.empty() && root_.back() == '/') root_.pop_back();
}

std::string RootSources::host_path(const std::string& path) const { return root_ + path; }

std::string RootSources::display(const std::string& path) const { return host_path(path); }

std::expected<std::string, std::string> RootSources::read(const std::string& path) const {
  return conf::read_source(host_path(path), kMaxFileBytes);
}

std::vector<std::string> RootSources::glob(const std::string& pattern) const {
  std::vector<std::string> out;
  glob_t g{};
  const std::string full = host_path(pattern);
  if (::glob(full.c_str(), GLOB_NOSORT, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) out.emplace_back(g.gl_pathv[i] + root_.size());
  }
  ::globfree(&g);
  std::sort(out.begin(), out.end());
  return out;
}

std::expected<std::string, std::string> MapSources::read(const std::string& path) const {
  auto it = files_.find(path);
  if (it == files_.end()) return std::unexpected(std::string("No such file or directory"));
  if (it->second.size() > kMaxFileBytes) return std::unexpected(std::string("the file is over 1 MiB"));
  return it->second;
}

std::vector<std::string> MapSources::glob(const std::string& pattern) const {
  std::vector<std::string> out;
  for (const auto& [path, text] : files_) {
    if (::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME) == 0) out.push_back(path);
  }
  return out;
}

}  // namespace pairgate::import
