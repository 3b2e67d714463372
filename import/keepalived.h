// keepalived.conf (with its includes) to the vrrp and notify sections.
//
// Carried over: global_defs (notification_email, notification_email_from,
// smtp_server, smtp_connect_timeout, smtp_alert, vrrp_garp_master_*),
// vrrp_instance (interface, virtual_router_id, priority, advert_int,
// nopreempt, preempt_delay, authentication PASS, virtual_ipaddress,
// virtual_ipaddress_excluded, track_interface, garp_master_*, smtp_alert),
// vrrp_sync_group (group, smtp_alert). Everything else is a warning that
// says what pairgate does instead (track_script: tunnels[].health + track).
#pragma once

#include <string>

#include "import/partial.h"
#include "import/sources.h"

namespace pairgate::import {

// Reads `path` and what it includes (relative to the including file's
// directory; globs as keepalived's; at most 8 levels and 64 files).
// `node` decides keepalived's conditional lines (`@beagle ...`, `@^beagle ...`).
Partial import_keepalived(const Sources& files, const std::string& path, const std::string& node);

}  // namespace pairgate::import
