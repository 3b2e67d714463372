// Configuration errors as compilers print them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace pairgate::conf {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 = the file as a whole
  int column = 0;  // 1-based
  std::string message;
  bool operator==(const Diagnostic&) const = default;
};

// "FILE:LINE:COLUMN: error: message" (the first line only).
std::string headline(const Diagnostic& d);

// headline, then the source line and a caret under the column, as gcc and nft
// print them. `source` is the whole file's text.
std::string format(const Diagnostic& d, std::string_view source);

// The same, given the text of the error's line (without its newline).
std::string format_line(const Diagnostic& d, std::string_view line);

}  // namespace pairgate::conf
