// Helpers for the importers' tests: warnings as "FILE:LINE: warning: ..."
// lines, and matchers on them.
#pragma once

#include <gmock/gmock.h>

#include <ostream>
#include <string>
#include <vector>

#include "import/partial.h"

namespace pairgate::import {

inline void PrintTo(const Warning& w, std::ostream* os) { *os << format(w); }

inline std::vector<std::string> lines_of(const std::vector<Warning>& ws) {
  std::vector<std::string> out;
  for (const auto& w : ws) out.push_back(format(w));
  return out;
}

// One warning that starts with `prefix` ("f.conf:3: warning: ...") and contains `text`.
MATCHER_P2(HasWarning, prefix, text, "") {
  for (const auto& w : arg) {
    const std::string s = format(w);
    if (s.starts_with(prefix) && s.find(text) != std::string::npos) return true;
  }
  for (const auto& w : arg) *result_listener << "\n  " << format(w);
  return false;
}

}  // namespace pairgate::import
