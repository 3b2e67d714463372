// Running nftables scripts. Each run is one kernel transaction: it applies
// whole or not at all.
#pragma once

#include <expected>
#include <memory>
#include <string>

namespace pairgate::firewall {

class Nft {
 public:
  virtual ~Nft() = default;
  // Runs `script` (nft -f syntax). Returns nft's output (JSON when
  // json_output), or nft's error text.
  virtual std::expected<std::string, std::string> run(const std::string& script, bool json_output = false) = 0;
};

// libnftables. Throws std::runtime_error if no context can be made.
std::unique_ptr<Nft> make_libnftables();

}  // namespace pairgate::firewall
