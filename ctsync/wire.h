// The state sync messages on the peer channel (type block
// peer_types::conntrack_first, 0x0110-0x011f). Every field is read through
// core/byte_io.h's bounds-checked reader; a message that does not parse is
// refused whole and counted (malformed), never partly applied.
//
//   changes (0x0110): u8 version (1), u16 count, count x change
//     change: u8 op (1 update, 2 destroy), u8 l4 (1, 6, 17),
//             orig  u32 src, u32 dst, u16 sport, u16 dport,
//             reply u32 src, u32 dst, u16 sport, u16 dport,
//             u8 tcp_state, u32 timeout_s, u32 mark, u32 status   (39 bytes)
//   dump request (0x0111): u8 version (1)  - "send me your whole table"
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "core/peer_channel.h"
#include "ctsync/entry.h"

namespace pairgate::ctsync {

namespace msg {
inline constexpr PeerMessageType changes = peer_types::conntrack_first;
inline constexpr PeerMessageType dump_request = peer_types::conntrack_first + 1;
}  // namespace msg

inline constexpr std::uint8_t kWireVersion = 1;
inline constexpr std::size_t kChangeBytes = 39;
// 1600 changes are ~60 KiB: well inside PeerChannel::kMaxPayload.
inline constexpr std::size_t kMaxChangesPerMessage = 1600;

enum class Op : std::uint8_t { update = 1, destroy = 2 };

struct Change {
  Op op = Op::update;
  Entry entry;
  bool operator==(const Change&) const = default;
};

enum class WireError { malformed, bad_version, bad_field };

std::vector<std::byte> encode_changes(std::span<const Change> changes);
std::expected<std::vector<Change>, WireError> parse_changes(std::span<const std::byte> payload);

std::vector<std::byte> encode_dump_request();
std::expected<void, WireError> parse_dump_request(std::span<const std::byte> payload);

}  // namespace pairgate::ctsync
