// VRRPv2 advertisements (RFC 3768 §5) as bytes and back. No I/O here.
//
// parse_datagram() does the syntax checks of §7.1 that need no
// configuration (IP header, TTL, version, type, length, checksum); the
// engine checks meaning (VRID, authentication, interval, address list).
// Laid out for VRRPv3 (RFC 9568) to follow: version is a field, the
// interval is a duration.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "core/address.h"

namespace pairgate::vrrp {

inline constexpr int kProtocol = 112;                     // §5.2.4
inline constexpr std::uint8_t kTtl = 255;                 // §5.2.3
inline const Ipv4Address kMulticastGroup{0xe0000012};     // 224.0.0.18, §5.2.2

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
  std::uint8_t version = 2;
  VrId vrid;
  Priority priority;
  AuthType auth_type = AuthType::none;
  std::chrono::seconds interval{1};  // Adver Int, whole seconds in v2
  std::vector<Ipv4Address> addresses;
  std::array<std::uint8_t, 8> auth_data{};  // simple text password, zero padded
  bool operator==(const Advert&) const = default;
};

// What the IP header told about an advert.
struct Received {
  Advert advert;
  Ipv4Address source;
  Ipv4Address destination;
};

// Each reason a packet is dropped, named like keepalived's counters where
// one exists. Codec reasons come first; the engine adds its own.
enum class Drop {
  packet_len_err,      // shorter than its headers or its address count says
  ip_header_err,       // not IPv4, bad IHL, total length beyond the data
  ip_ttl_err,          // §7.1: TTL is not 255
  invalid_protocol,    // not protocol 112
  version_err,         // §7.1: not version 2
  invalid_type_rcvd,   // type other than ADVERTISEMENT (1)
  checksum_err,        // §7.1: checksum does not verify
  vrid_err,            // §7.1: VRID not configured on this interface
  invalid_authtype,    // auth type unknown to RFC 2338
  authtype_mismatch,   // auth type differs from ours
  auth_failure,        // wrong password
  advert_interval_err, // §7.1: interval differs from ours
  addr_list_err,       // §7.1: address list differs (counted, not dropped at priority 255)
  own_advert,          // our own packet looped back
  owner_advert_rcvd,   // we are the owner and hear another router's advert
};
inline constexpr std::size_t kDropKinds = static_cast<std::size_t>(Drop::owner_advert_rcvd) + 1;
std::string_view to_string(Drop d);

// An IPv4 datagram as a raw socket reads it, IP header included.
std::expected<Received, Drop> parse_datagram(std::span<const std::byte> datagram);

// The VRRP part alone (after the IP header).
std::expected<Advert, Drop> parse_advert(std::span<const std::byte> payload);

// The VRRP part of an advert, checksum filled in. Preconditions: at most 255
// addresses, interval 1..255 s.
std::vector<std::byte> build_advert(const Advert& advert);

// The 8 bytes of simple text authentication for `password` (at most 8 bytes).
std::array<std::uint8_t, 8> simple_auth_data(std::string_view password);

}  // namespace pairgate::vrrp
