// Small text helpers shared by the importers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conf/config.h"

namespace pairgate::import {

// `text` cut into lines, each without its '\n' (and '\r').
std::vector<std::string_view> lines(std::string_view text);
std::string_view trim(std::string_view s);
// Whitespace-separated words.
std::vector<std::string_view> words(std::string_view s);
// A decimal integer in [min, max], nothing else.
std::optional<long long> integer(std::string_view s, long long min, long long max);
// Seconds as keepalived and dhcpd write them ("1", "1.5"), to milliseconds;
// at most `max_s` seconds.
std::optional<conf::Duration> seconds(std::string_view s, long long max_s);
// What the loader takes as an interface name (conf/parse_common.cc).
bool interface_name(std::string_view s);
// What the loader takes as an e-mail address.
bool email_address(std::string_view s);
// An instance or group name the loader takes: 1-64 bytes, no space or '/'.
bool object_name(std::string_view s);
// "a, b" and "a,b" lists of dhcpd and netplan.
std::vector<std::string> comma_list(std::string_view s);

}  // namespace pairgate::import
