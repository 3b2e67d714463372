// Where the AFTR name is resolved: the configured servers, else the RDNSS
// servers the WAN interface learned from router advertisements (RFC 8106),
// else the system's (/etc/resolv.conf). The parsers here do no I/O.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"

namespace pairgate::tunnel {

struct RdnssOption {
  std::chrono::seconds lifetime{0};  // 0: withdraw; 0xffffffff: infinity
  std::vector<Ipv6Address> servers;
};

// The RDNSS options (type 25, RFC 8106 §5.1) among router advertisement
// options as the kernel passes them (RFC 4861 §4.6 type-length-value,
// length in units of 8 octets). Stops at the first malformed option: a zero
// length or one running past the end; an RDNSS shorter than 3 units is
// skipped (§5.3.1: silently ignored).
std::vector<RdnssOption> parse_rdnss(std::span<const std::byte> options);

// `nameserver ADDRESS` lines of resolv.conf(5), in order; comments (# ;),
// other keywords and unparsable addresses are skipped; a scope
// ("fe80::1%eth0") is dropped.
std::vector<IpAddress> parse_resolv_conf(std::string_view text);

// A DNS server and, for a link-local one, the interface it is reached on.
struct Resolver {
  IpAddress address;
  int scope_ifindex = 0;
  std::uint16_t port = 53;
  bool operator==(const Resolver&) const = default;
};

enum class ResolverSource { configured, rdnss, system, none };
std::string_view to_string(ResolverSource s);

}  // namespace pairgate::tunnel
