// Lease sync's messages on the peer channel (type block 0x0100) and its part
// of the hello. No I/O; every parser takes a whole payload, is
// bounds-checked and fuzzed (tests/fuzz/peer_lease_fuzz.cc).
//
//   hello part  version u8 (1), epoch u64, known_epoch u64, known_seq u64,
//               subnets u16 (each: address u32, length u8),
//               pools u16 (each: first u32, last u32)
//   0x0101 batch       epoch u64, first_seq u64, count u16, records
//   0x0102 full begin  epoch u64, seq u64
//   0x0103 full part   count u16, records
//   0x0104 caught up   epoch u64, seq u64
//   0x0105 ack         epoch u64, seq u64
//
//   record  address u32, state u8 (1 leased, 2 released, 3 expired,
//           4 declined), flags u8 (bit 0: hw address follows), cltt i64,
//           expires i64, [hw 6 bytes], client len u16 (<= 256), client,
//           hostname len u8, hostname
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string_view>
#include <vector>

#include "core/address.h"
#include "core/lease_sync.h"
#include "core/peer_channel.h"

namespace pairgate::peer {

namespace lease_msg {
inline constexpr PeerMessageType batch = peer_types::lease_sync_first + 1;
inline constexpr PeerMessageType full_begin = peer_types::lease_sync_first + 2;
inline constexpr PeerMessageType full_part = peer_types::lease_sync_first + 3;
inline constexpr PeerMessageType caught_up = peer_types::lease_sync_first + 4;
inline constexpr PeerMessageType ack = peer_types::lease_sync_first + 5;
}  // namespace lease_msg

inline constexpr std::uint8_t kLeaseSyncVersion = 1;
inline constexpr std::size_t kMaxScopeSubnets = 512;
inline constexpr std::size_t kMaxScopePools = 1536;
inline constexpr std::size_t kMaxRecordsPerMessage = 1024;
inline constexpr std::size_t kMaxRecordBytes = 4 + 1 + 1 + 8 + 8 + 6 + 2 + kMaxLeaseClientBytes + 1 + kMaxLeaseHostnameBytes;

// What the two routers' DHCP configurations must agree on: the same
// subnets, and pools that never overlap.
struct Scope {
  std::vector<IpPrefix> subnets;   // IPv4 networks
  std::vector<Ipv4Range> pools;    // this router's own
  bool operator==(const Scope&) const = default;
};

struct LeaseHello {
  std::uint64_t epoch = 0;        // the sender's stream of changes
  std::uint64_t known_epoch = 0;  // the other's stream, as far as the sender has it on disk
  std::uint64_t known_seq = 0;    // 0: nothing of it
  Scope scope;
  bool operator==(const LeaseHello&) const = default;
};

struct Position {
  std::uint64_t epoch = 0;
  std::uint64_t seq = 0;
  bool operator==(const Position&) const = default;
};

struct Batch {
  std::uint64_t epoch = 0;
  std::uint64_t first_seq = 0;  // records carry first_seq, first_seq + 1, ...
  std::vector<LeaseRecord> records;
  bool operator==(const Batch&) const = default;
};

enum class LeaseWireError { malformed, bad_record, too_many };
std::string_view to_string(LeaseWireError e);

std::vector<std::byte> encode(const LeaseHello& h);
std::expected<LeaseHello, LeaseWireError> parse_lease_hello(std::span<const std::byte> payload);

std::vector<std::byte> encode(const Batch& b);
std::expected<Batch, LeaseWireError> parse_batch(std::span<const std::byte> payload);

std::vector<std::byte> encode(const Position& p);  // full begin, caught up, ack
std::expected<Position, LeaseWireError> parse_position(std::span<const std::byte> payload);

std::vector<std::byte> encode_records(std::span<const LeaseRecord> records);  // full part
std::expected<std::vector<LeaseRecord>, LeaseWireError> parse_records(std::span<const std::byte> payload);

// Appends one record (at most kMaxRecordBytes; longer client or hostname
// are a precondition violation).
void encode_record(const LeaseRecord& r, std::vector<std::byte>& out);

}  // namespace pairgate::peer
