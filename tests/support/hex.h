// Test helper: wire bytes from hex text ("45c00028...").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pairgate::testing {

inline std::vector<std::byte> hex(std::string_view h) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<std::byte>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

}  // namespace pairgate::testing
