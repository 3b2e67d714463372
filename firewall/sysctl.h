// The sysctl section: kernel settings written at start-up and on reload,
// each change logged with the value it replaced, and put back when
// pairgated stops or a reload drops the key from the file (forwarding must
// not outlive the firewall table) — unless someone else has written the
// key since, in which case their value stays (logged).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "core/module.h"

namespace pairgate::firewall {

class SysctlService final : public Module {
 public:
  // root: where the sysctl tree is; tests point it at a directory.
  explicit SysctlService(ModuleContext ctx, std::string root = "/proc/sys") : ctx_(ctx), root_(std::move(root)) {}
  std::string_view name() const override { return "sysctl"; }
  void start(const conf::Config& config) override;
  void reload(const conf::Config& config, const conf::ConfigDiff& diff) override;
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  struct Entry {
    std::string key;
    std::string value;
    std::string previous;  // what the kernel had before pairgate wrote it
    std::string error;     // empty when in force
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  void apply(const conf::Config& config);
  void restore(const Entry& e, std::string_view why);
  std::string path(const std::string& key) const;

  ModuleContext ctx_;
  std::string root_;
  std::vector<Entry> entries_;
};

}  // namespace pairgate::firewall
