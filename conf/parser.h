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
  std::optional<Config> config;     // set only when there is no error
  // The first kMaxErrors errors found (conf/limits.h), sorted by position.
  std::vector<Diagnostic> errors;
  std::size_t error_count = 0;      // every error found: errors.size() or more
  std::string source;               // the file's text, for format()
  // Every kept error with its source line and caret, one after another, then
  // "... and N more errors not shown" when some were not kept.
  std::string report() const;
  // "1 error in FILE", "250 errors in FILE".
  std::string summary(std::string_view file) const;
  // "... and N more errors not shown", or empty when every error is kept.
  std::string more() const;
};

// `file` names the text in diagnostics. Linear in the size of the text; a
// text over the limits of conf/limits.h is refused before it is parsed.
// Never throws but std::bad_alloc.
LoadResult parse(std::string_view text, const std::string& file);

// Reads and parses `path`; a file that cannot be read (missing, not a regular
// file, larger than kMaxFileBytes) is one diagnostic. Never blocks on a FIFO
// or device, touches no global state: safe to run off the event loop.
LoadResult load(const std::string& path);

}  // namespace pairgate::conf
