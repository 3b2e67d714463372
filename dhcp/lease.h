// A DHCPv4 lease and the identity it is bound to. No I/O here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/address.h"

namespace pairgate::dhcp {

// What one lease may hold (STYLE 15: bounded by construction). RFC 3396 lets
// a client concatenate option instances up to 64 KiB; nothing legitimate
// needs more than one instance's worth.
// A client identifier (option 61): one option instance, 255 bytes.
inline constexpr std::size_t kMaxClientId = 255;
// A host name (option 12, or a reservation's): a DNS name is at most 255
// octets (RFC 1035 §2.3.4).
inline constexpr std::size_t kMaxHostname = 255;

// Cuts `hostname` to kMaxHostname bytes; true when it was longer.
bool cap_hostname(std::string& hostname);

// RFC 2131 §4.2: a client is identified by its client identifier (option 61)
// when it sends one, else by htype + chaddr. The key's first byte says which
// ('c' or 'h') so the two spaces never collide. A key is at most
// kMaxKey bytes: a longer client identifier is cut to kMaxClientId bytes
// (truncated(option61) says when), chaddr to its 16 bytes.
class ClientKey {
 public:
  static constexpr std::size_t kMaxKey = 1 + kMaxClientId;

  ClientKey() = default;
  static ClientKey from_client_id(std::span<const std::uint8_t> option61);
  static ClientKey from_hardware(std::uint8_t htype, std::span<const std::uint8_t> chaddr);
  // The stored form (as written by bytes()); nullopt when malformed or
  // longer than kMaxKey.
  static std::optional<ClientKey> from_bytes(std::string_view bytes);
  // from_client_id(option61) keeps only the first kMaxClientId bytes.
  static bool truncated(std::span<const std::uint8_t> option61) { return option61.size() > kMaxClientId; }

  const std::string& bytes() const { return key_; }
  bool empty() const { return key_.empty(); }
  bool is_client_id() const { return !key_.empty() && key_[0] == 'c'; }
  // Option 61's bytes for a client-id key, else empty.
  std::string_view client_id() const;
  std::uint64_t hash() const { return hash_of(key_); }
  // FNV-1a of stored key bytes, stable across runs (it places clients in the pool).
  static std::uint64_t hash_of(std::string_view key);
  std::string to_string() const;  // "id:01:52:54:..." or "hw:1:52:54:..."

  bool operator==(const ClientKey&) const = default;

 private:
  explicit ClientKey(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

enum class LeaseState : std::uint8_t {
  offered,   // held for a client between OFFER and REQUEST, or while probed; never persisted
  leased,    // acknowledged: bound until `expires`
  released,  // given back by DHCPRELEASE; the client keeps a claim to it while it is free
  expired,   // ran out; the client keeps a claim to it while it is free
  declined,  // quarantined (DHCPDECLINE or a conflict probe) until `expires`
};
std::string_view to_string(LeaseState s);
std::optional<LeaseState> lease_state_from_string(std::string_view s);

// Which router handed the lease out: this host, or the peer (lease sync).
enum class LeaseOrigin : std::uint8_t { local, peer };

struct Lease {
  Ipv4Address address;
  LeaseState state = LeaseState::leased;
  LeaseOrigin origin = LeaseOrigin::local;
  std::int64_t expires = 0;  // seconds since the epoch (wall clock: leases outlive restarts)
  std::optional<MacAddress> hw_address;
  ClientKey client;          // empty for a declined address
  std::string hostname;      // option 12 as the client sent it (or the reservation's), at most kMaxHostname bytes
  // Client last transaction time (seconds since the epoch): when the server
  // that wrote the record last heard the client (ACK, release, decline) or
  // the record last changed state. Lease sync's conflict rule compares it
  // (core/lease_sync.h); 0 in a lease file written before it was kept.
  std::int64_t cltt = 0;

  // Holds the address against other clients at `now` (seconds).
  bool holds(std::int64_t now) const {
    return (state == LeaseState::leased || state == LeaseState::offered || state == LeaseState::declined) &&
           expires > now;
  }
  bool operator==(const Lease&) const = default;
};

}  // namespace pairgate::dhcp
