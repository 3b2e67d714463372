// Cross-checks between sections, run after every key parsed cleanly.
#pragma once

#include "conf/config.h"
#include "conf/yaml_reader.h"

namespace pairgate::conf {

// Records an error in `r` for each inconsistency in `c`. Also checks what
// only the host can tell: the socket's group, the sysctl keys.
void validate(Reader& r, const Config& c);

}  // namespace pairgate::conf
