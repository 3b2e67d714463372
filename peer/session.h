// One connection's bytes: greeting, key derivation, stream headers and
// frames, in and out. No I/O and no time: the channel (peer/channel.h)
// feeds it what the socket read and sends what it returns.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "peer/crypto.h"
#include "peer/wire.h"

namespace pairgate::peer {

struct Frame {
  PeerMessageType type = 0;
  std::vector<std::byte> payload;
};

class Session {
 public:
  Session(Role role, const Key& master, const Nonce& nonce);
  ~Session();

  Role role() const { return role_; }
  // The greeting to send first.
  std::vector<std::byte> greeting() const { return encode(mine_); }

  struct Received {
    std::vector<Frame> frames;     // authenticated, in order
    std::vector<std::byte> send;   // to send now (this side's stream header)
    std::optional<Reject> error;   // the connection must be closed
    std::string detail;
  };
  // Consumes the bytes that arrived. After an error nothing more is read.
  Received receive(std::span<const std::byte> bytes);

  // This side has the other's greeting and may seal frames.
  bool keyed() const { return sealer_ != nullptr; }
  // Appends the frame [type, payload] sealed for the wire to `out`.
  // Precondition: keyed(), payload.size() <= PeerChannel::kMaxPayload.
  void seal(PeerMessageType type, std::span<const std::byte> payload, std::vector<std::byte>& out);

  // Bytes received that do not yet make a whole greeting, header or frame
  // (a connection ending now was cut inside one).
  bool partial() const { return in_.size() > consumed_; }
  std::size_t buffered() const { return in_.size() - consumed_; }

 private:
  enum class Phase { greeting, header, frames, failed };

  Role role_;
  Key master_;
  Greeting mine_;
  Phase phase_ = Phase::greeting;
  std::unique_ptr<Sealer> sealer_;
  std::unique_ptr<Opener> opener_;
  Key receive_key_;
  std::vector<std::byte> in_;
  std::size_t consumed_ = 0;
};

}  // namespace pairgate::peer
