// VRRP advertisements as bytes and back, version 2 (RFC 3768 §5) and
// version 3 (RFC 5798 §5) over IPv4 and IPv6: one codec, the version and
// the family are fields. No I/O here.
//
// The parse functions do the syntax checks of §7.1 that need no
// configuration (IP header, TTL, version, type, length, checksum); the
// engine checks meaning (VRID, version, authentication, interval, address
// list, unicast peers).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <ratio>
#include <span>
#include <string_view>
#include <vector>

#include "core/address.h"

namespace pairgate::vrrp {

inline constexpr int kProtocol = 112;                     // RFC 3768 §5.2.4, RFC 5798 §5.1.1.3
inline constexpr std::uint8_t kTtl = 255;                 // RFC 3768 §5.2.3, RFC 5798 §5.1.1.3/§5.1.2.3
inline const Ipv4Address kMulticastGroup{0xe0000012};     // 224.0.0.18, RFC 5798 §5.1.1.2
// ff02::12, RFC 5798 §5.1.2.2.
inline const Ipv6Address kMulticastGroup6{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12}};

// The group an advert of `family` goes to.
inline IpAddress multicast_group(Family family) {
  return family == Family::ipv4 ? IpAddress(kMulticastGroup) : IpAddress(kMulticastGroup6);
}

// RFC 5798 §5.2.7: Max Adver Int counts centiseconds.
using Centiseconds = std::chrono::duration<std::int64_t, std::centi>;
inline constexpr Centiseconds kMaxInterval3{4095};  // 12 bits

struct VrId {
  std::uint8_t value = 0;  // 1..255
  auto operator<=>(const VrId&) const = default;
};

struct Priority {
  std::uint8_t value = 0;
  static constexpr std::uint8_t kOwner = 255;  // §5.3.4: owns the addresses
  static constexpr std::uint8_t kStop = 0;     // §5.3.4: the master is leaving
  bool owner() const { return value == kOwner; }
  bool stopping() const { return value == kStop; }
  auto operator<=>(const Priority&) const = default;
};

enum class AuthType : std::uint8_t { none = 0, simple = 1, ip_ah = 2 };  // RFC 2338 §5.3.6

struct Advert {
  std::uint8_t version = 2;  // 2 or 3
  VrId vrid;
  Priority priority;
  AuthType auth_type = AuthType::none;  // version 2 only
  // v2: Adver Int, whole seconds (1..255); v3: Max Adver Int (1..4095 cs).
  Centiseconds interval{100};
  std::vector<IpAddress> addresses;          // all of one family: IPv6 only in v3
  std::array<std::uint8_t, 8> auth_data{};  // v2: simple text password, zero padded
  bool operator==(const Advert&) const = default;
};

// The IP layer around an advert: what the header, or for IPv6 the socket's
// ancillary data, told.
struct Endpoints {
  IpAddress source;
  IpAddress destination;
};

struct Received {
  Advert advert;
  IpAddress source;
  IpAddress destination;
  int hop_limit = kTtl;  // TTL or hop limit
  // Version 3 over IPv4 whose checksum left out the pseudo-header (Cisco,
  // keepalived's v3_checksum_as_v2, RFC 3768's way): accepted, and counted.
  bool checksum_as_v2 = false;
};

// Each reason a packet is dropped, named like keepalived's counters where
// one exists. Codec reasons come first; the engine adds its own.
enum class Drop {
  packet_len_err,      // shorter than its headers or its address count says
  ip_header_err,       // not IPv4, bad IHL, total length beyond the data
  ip_ttl_err,          // §7.1: TTL / hop limit is not 255
  invalid_protocol,    // not protocol 112
  version_err,         // §7.1: not the version configured (or v2 over IPv6)
  invalid_type_rcvd,   // type other than ADVERTISEMENT (1)
  checksum_err,        // §7.1: checksum does not verify
  vrid_err,            // §7.1: VRID not configured on this interface
  invalid_authtype,    // auth type unknown to RFC 2338
  authtype_mismatch,   // auth type differs from ours
  auth_failure,        // wrong password
  advert_interval_err, // v2 §7.1: interval differs from ours; v3: Max Adver Int 0
  addr_list_err,       // §7.1: address list differs (v2: dropped unless from the owner; v3: counted only), or empty
  own_advert,          // our own packet looped back
  owner_advert_rcvd,   // we are the owner and hear another router's advert
  unicast_src_err,     // unicast_peers is set and the sender is not one of them
};
inline constexpr std::size_t kDropKinds = static_cast<std::size_t>(Drop::unicast_src_err) + 1;
std::string_view to_string(Drop d);

// An IPv4 datagram as a raw socket reads it, IP header included. The TTL
// must be 255 when it was sent to 224.0.0.18 (§7.1); a unicast advert's TTL
// is left to the engine, which knows whether the sender is a unicast peer.
std::expected<Received, Drop> parse_datagram(std::span<const std::byte> datagram);

// The VRRP part alone (after the IP header, or as an IPv6 raw socket reads
// it), with the IP layer's endpoints (for the v3 checksum) and hop limit.
// The hop-limit rule is parse_datagram's.
std::expected<Received, Drop> parse_packet(std::span<const std::byte> payload, const Endpoints& ends,
                                           int hop_limit);

// The VRRP part alone, without the IP layer: version 2 only (its checksum
// covers the message alone). For tests and the fuzzer.
std::expected<Advert, Drop> parse_advert(std::span<const std::byte> payload);

// The VRRP part of an advert, checksum filled in; `ends` are the IP
// source and destination it will travel with (RFC 5798 §5.2.8 pseudo-header;
// version 2 ignores them). Preconditions: at most 255 addresses, all of the
// family of `ends` (IPv4 in v2); interval 1..255 s (v2) or 1..4095 cs (v3).
std::vector<std::byte> build_advert(const Advert& advert, const Endpoints& ends);

// RFC 5798 §5.2.8: the checksum of `message` (its checksum field zero)
// with the pseudo-header of `ends`; `pseudo_header` false gives RFC 3768's
// checksum of the message alone.
std::uint16_t advert_checksum(std::span<const std::byte> message, const Endpoints& ends, bool pseudo_header);

// The 8 bytes of simple text authentication for `password` (at most 8 bytes).
std::array<std::uint8_t, 8> simple_auth_data(std::string_view password);

}  // namespace pairgate::vrrp
