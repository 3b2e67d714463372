// Human-readable renderings of the daemon's JSON for pairgatectl.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace pairgate {

// Tolerates missing sections and fields: an older or newer daemon's status
// still renders.
std::string render_status(const nlohmann::json& status);
std::string render_leases(const nlohmann::json& leases);

}  // namespace pairgate
