// The peer channel as a seam: the one authenticated, encrypted connection
// between the two routers of the pair. A module that talks to the other
// router (DHCP lease sync today; conntrack state sync and a pair view next)
// attaches as a PeerUser with a range of message type ids; the peer module
// (peer/) carries the messages and tells each user when the channel comes up
// and goes down. Users never see sockets, keys or the other users.
//
// app/daemon.cc hands the peer module's PeerChannel to whoever needs it;
// a module never includes peer/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pairgate {

using PeerMessageType = std::uint16_t;

// Who owns which type ids. 0x0000-0x00ff is the channel's own (hello, ping,
// pong); each user takes a block of 16 from this list, so two users never
// share an id and an id never changes meaning between versions.
namespace peer_types {
inline constexpr PeerMessageType channel_first = 0x0000;
inline constexpr PeerMessageType lease_sync_first = 0x0100;  // 0x0100-0x010f, peer/lease_sync
inline constexpr PeerMessageType conntrack_first = 0x0110;   // 0x0110-0x011f, ctsync/ (firewall state sync)
inline constexpr PeerMessageType pair_view_first = 0x0120;   // 0x0120-0x012f, reserved
inline constexpr std::size_t block = 16;
}  // namespace peer_types

// What the other router said about itself when the channel came up.
struct PeerHello {
  std::string node;      // its node name
  std::string software;  // its pairgate version
  // The part of its hello that its user of the same block wrote (empty when
  // it has no such user, e.g. an older version or a module switched off).
  std::span<const std::byte> part;
};

// A module's end of the channel. Every call comes on the event loop.
class PeerUser {
 public:
  virtual ~PeerUser() = default;
  // This user's part of the hello sent on each new connection (at most
  // PeerChannel::kMaxHelloPart bytes): what the peer must know before the
  // first message, e.g. what must agree between the two configurations.
  // None by default.
  virtual std::vector<std::byte> hello_part() { return {}; }
  // A connection is authenticated and is now the channel.
  virtual void up(const PeerHello& peer) = 0;
  // A message of one of this user's types, decrypted and authenticated; the
  // payload is valid during the call only. The user parses it (its parser
  // is bounds-checked and fuzzed) and counts what it refuses.
  virtual void message(PeerMessageType type, std::span<const std::byte> payload) = 0;
  // The send queue has room again after send() returned false (users that
  // drop what does not fit need not listen).
  virtual void writable() {}
  // The channel is gone (peer died, network cut, a better connection won);
  // what was sent and not acknowledged by the user's own protocol may be lost.
  virtual void down(std::string_view reason) = 0;
};

class PeerChannel {
 public:
  static constexpr std::size_t kMaxHelloPart = 16 * 1024;
  static constexpr std::size_t kMaxPayload = 256 * 1024 - 2;

  virtual ~PeerChannel() = default;
  // Gives `user` the type ids [first, first + peer_types::block). Throws
  // std::logic_error when the block is taken or not one of peer_types' (a
  // programming error). `name` labels its counters.
  virtual void attach(PeerMessageType first, std::string name, PeerUser& user) = 0;
  virtual void detach(PeerUser& user) = 0;
  // Queues one message for the peer. False when the channel is down, the
  // payload is longer than kMaxPayload, or the send queue is full (the user
  // gets writable() once it has drained).
  virtual bool send(PeerMessageType type, std::span<const std::byte> payload) = 0;
  virtual bool is_up() const = 0;
};

}  // namespace pairgate
