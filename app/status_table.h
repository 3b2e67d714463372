// Human-readable renderings of the daemon's JSON for pairgatectl.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace pairgate {

// Tolerates missing sections and fields: an older or newer daemon's status
// still renders.
std::string render_status(const nlohmann::json& status);
std::string render_leases(const nlohmann::json& leases);
// One event of `pairgatectl events` on one line, with its newline:
// "2026-11-29T10:00:00.123Z #42 vrrp (VRRP1) Entering MASTER STATE: ...".
std::string render_event(const nlohmann::json& event);

}  // namespace pairgate
