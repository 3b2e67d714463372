// Loading pairgate.yaml: YAML syntax, then every key into typed structs, then
// the cross-checks of validate.h. All errors of a file are reported together.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"
#include "conf/diagnostics.h"

namespace pairgate::conf {

struct LoadResult {
  std::optional<Config> config;     // set only when errors is empty
  std::vector<Diagnostic> errors;   // sorted by position
  std::string source;               // the file's text, for format()
  // Every error with its source line and caret, one after another.
  std::string report() const;
};

// `file` names the text in diagnostics. Never throws.
LoadResult parse(std::string_view text, const std::string& file);

// Reads and parses `path`; an unreadable file is one diagnostic.
LoadResult load(const std::string& path);

}  // namespace pairgate::conf
