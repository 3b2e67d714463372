// gtest printers for conf types, so failures show text instead of bytes.
#pragma once

#include <ostream>

#include "conf/diagnostics.h"

namespace pairgate::conf {

inline void PrintTo(const Diagnostic& d, std::ostream* os) { *os << headline(d); }

}  // namespace pairgate::conf
