// sysctl.conf and sysctl.d/*.conf to the sysctl section: the forwarding
// keys (net.ipv4.ip_forward, net.ipv4.conf.*.forwarding,
// net.ipv6.conf.*.forwarding), which pairgate sets at start-up and puts back
// at stop. Every other key is left to systemd-sysctl, with a warning.
#pragma once

#include <string>
#include <string_view>

#include "import/partial.h"

namespace pairgate::import {

Partial import_sysctl(std::string_view text, const std::string& file);

}  // namespace pairgate::import
