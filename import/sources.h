// Where the importers' files come from: the host's files under a root
// directory, or (in tests) a map of texts. The keepalived importer follows
// `include` through it; nothing else in import/ reads files.
#pragma once

#include <expected>
#include <map>
#include <string>
#include <vector>

namespace pairgate::import {

class Sources {
 public:
  virtual ~Sources() = default;
  // The text of `path`, an absolute path as the imported host names it
  // (/etc/keepalived/vrrp.conf), or why it cannot be had. At most
  // kMaxFileBytes (partial.h); a larger file is an error.
  virtual std::expected<std::string, std::string> read(const std::string& path) const = 0;
  // The absolute paths matching the glob `pattern` (*, ?, [...]), sorted.
  virtual std::vector<std::string> glob(const std::string& pattern) const = 0;
  // How `path` is named in warnings.
  virtual std::string display(const std::string& path) const = 0;
};

// The files of a host whose root is `root` ("/" for this one).
class RootSources final : public Sources {
 public:
  explicit RootSources(std::string root);
  std::expected<std::string, std::string> read(const std::string& path) const override;
  std::vector<std::string> glob(const std::string& pattern) const override;
  std::string display(const std::string& path) const override;
  // root + path.
  std::string host_path(const std::string& path) const;

 private:
  std::string root_;  // without a trailing '/'; empty for "/"
};

// Texts by path, for tests and fuzz targets.
class MapSources final : public Sources {
 public:
  explicit MapSources(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  std::expected<std::string, std::string> read(const std::string& path) const override;
  std::vector<std::string> glob(const std::string& pattern) const override;
  std::string display(const std::string& path) const override { return path; }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace pairgate::import
