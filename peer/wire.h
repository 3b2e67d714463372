// The peer channel's wire format (TCP, port 6470 by default). No I/O.
//
//   greeting   both sides send one at once, in the clear (40 bytes):
//                magic "PGPR", version u8 (1), role u8 (0 dialer,
//                1 listener), reserved u16 (0), nonce (32 random bytes)
//   header     then each side, once it has the other's greeting, sends its
//              stream header (24 bytes; peer/crypto.h)
//   frames     then frames, each: length u32 (of the ciphertext), then the
//              ciphertext of [type u16, payload], authenticated together
//              with the length bytes
//
// The first frame each way is a hello; after it any type. All integers are
// big-endian. Every parser here takes the whole of a buffer and is
// bounds-checked (core/byte_io.h) and fuzzed (tests/fuzz/peer_*).
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/peer_channel.h"
#include "peer/crypto.h"

namespace pairgate::peer {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kGreetingBytes = 40;
inline constexpr std::size_t kLengthBytes = 4;
// The largest plaintext of a frame (type + payload) and ciphertext.
inline constexpr std::size_t kMaxPlain = PeerChannel::kMaxPayload + 2;
inline constexpr std::size_t kMaxCipher = kMaxPlain + kSealOverhead;
inline constexpr std::size_t kMaxNode = 64;
inline constexpr std::size_t kMaxSoftware = 64;
inline constexpr std::size_t kMaxHelloParts = 16;

// The channel's own message types.
namespace msg {
inline constexpr PeerMessageType hello = 0x0001;
inline constexpr PeerMessageType ping = 0x0002;
inline constexpr PeerMessageType pong = 0x0003;
}  // namespace msg

enum class Role : std::uint8_t { dialer = 0, listener = 1 };
std::string_view to_string(Role r);

// Why a connection or a message was refused: one counter each (status
// peer.rejected), one rate-limited log line.
enum class Reject : std::uint8_t {
  unknown_source,     // a connection from an address that is not peer.address
  busy,               // too many connections still in their handshake
  bad_greeting,       // not a pairgate peer greeting (magic, reserved bits)
  bad_version,        // a protocol version this build does not speak
  bad_role,           // both ends claim the same role
  bad_auth,           // a frame that does not authenticate: wrong key, tampered, replayed, reordered
  oversize,           // a frame longer than the limit
  bad_frame,          // a frame too short to hold a type
  bad_hello,          // the first frame is not a well-formed hello
  same_node,          // the other end has this host's node name
  bad_message,        // a channel message (ping, pong, a second hello) that does not parse
  unknown_type,       // a type no user on this side registered (ignored, connection kept)
  handshake_timeout,  // no hello within the handshake time
  truncated,          // the connection ended inside a frame
};
inline constexpr std::size_t kRejectCount = 14;
std::string_view to_string(Reject r);

struct Greeting {
  std::uint8_t version = kProtocolVersion;
  Role role = Role::dialer;
  Nonce nonce{};
  bool operator==(const Greeting&) const = default;
};
std::vector<std::byte> encode(const Greeting& g);
// Exactly kGreetingBytes. Errors: bad_greeting, bad_version, bad_role (a
// role byte other than 0 or 1).
std::expected<Greeting, Reject> parse_greeting(std::span<const std::byte> bytes);

struct HelloPart {
  PeerMessageType block = 0;  // the user's first type id
  std::vector<std::byte> bytes;
  bool operator==(const HelloPart&) const = default;
};
struct Hello {
  std::string node;      // 1..kMaxNode bytes
  std::string software;  // at most kMaxSoftware bytes
  std::vector<HelloPart> parts;  // at most kMaxHelloParts, each at most PeerChannel::kMaxHelloPart bytes
  bool operator==(const Hello&) const = default;
};
// The payload of a hello frame:
//   node len u8, node, software len u8, software, parts u8, then each
//   part: block u16, length u16, bytes.
std::vector<std::byte> encode(const Hello& h);
std::expected<Hello, Reject> parse_hello(std::span<const std::byte> payload);  // bad_hello

// Ping and pong carry 8 opaque bytes that the pong echoes.
std::vector<std::byte> encode_token(std::uint64_t token);
std::expected<std::uint64_t, Reject> parse_token(std::span<const std::byte> payload);  // bad_message

}  // namespace pairgate::peer
