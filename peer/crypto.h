// The peer channel's cryptography, on libsodium. No I/O.
//
// Keys: the shared secret (peer.key_file, at least 32 bytes of anything) is
// hashed into a 32-byte master key (BLAKE2b keyed with a context string).
// Each connection derives fresh keys from the master key and both sides'
// greetings, which carry a 32-byte random nonce each: the session key is
// BLAKE2b(dialer greeting || listener greeting, key = master), and the two
// direction keys are crypto_kdf subkeys 1 (dialer to listener) and 2
// (listener to dialer) of it. A connection whose other end does not hold
// the secret cannot produce one valid frame, and bytes recorded from
// another connection never decrypt on a new one (the nonces differ).
//
// Each direction is a crypto_secretstream_xchacha20poly1305 stream: every
// frame is encrypted and authenticated, in order; a frame replayed,
// dropped, reordered, cut or changed fails authentication.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace pairgate::peer {

inline constexpr std::size_t kKeyBytes = 32;
inline constexpr std::size_t kNonceBytes = 32;
inline constexpr std::size_t kStreamHeaderBytes = 24;  // crypto_secretstream_xchacha20poly1305_HEADERBYTES
inline constexpr std::size_t kSealOverhead = 17;       // crypto_secretstream_xchacha20poly1305_ABYTES

using Nonce = std::array<std::uint8_t, kNonceBytes>;

// Initialises libsodium once; throws std::runtime_error if it cannot.
void crypto_init();
void random_bytes(std::span<std::uint8_t> out);

// Key material, wiped when destroyed.
class Key {
 public:
  Key() = default;
  explicit Key(const std::array<std::uint8_t, kKeyBytes>& bytes) : bytes_(bytes) {}
  Key(const Key&) = default;
  Key& operator=(const Key&) = default;
  ~Key();
  const std::array<std::uint8_t, kKeyBytes>& bytes() const { return bytes_; }
  bool operator==(const Key&) const = default;

 private:
  std::array<std::uint8_t, kKeyBytes> bytes_{};
};

// The master key of a shared secret.
Key master_key(std::span<const std::uint8_t> secret);

struct DirectionKeys {
  Key send;
  Key receive;
};
// This side's keys for one connection; `transcript` is the dialer's
// greeting followed by the listener's.
DirectionKeys session_keys(const Key& master, std::span<const std::byte> transcript, bool dialer);

// The sending half of a stream.
class Sealer {
 public:
  explicit Sealer(const Key& key);
  ~Sealer();
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;
  // Sent once, before the first frame.
  const std::array<std::uint8_t, kStreamHeaderBytes>& header() const { return header_; }
  // Appends the ciphertext of `plain` (plain.size() + kSealOverhead bytes),
  // authenticating `ad` with it.
  void seal(std::span<const std::byte> plain, std::span<const std::byte> ad, std::vector<std::byte>& out);

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::array<std::uint8_t, kStreamHeaderBytes> header_{};
};

// The receiving half of a stream.
class Opener {
 public:
  // nullopt when the header is not valid for the key.
  static std::unique_ptr<Opener> make(const Key& key, std::span<const std::byte> header);
  ~Opener();
  Opener(const Opener&) = delete;
  Opener& operator=(const Opener&) = delete;
  // The plaintext, or nullopt when `cipher` does not authenticate as the
  // next frame of this stream with `ad`.
  std::optional<std::vector<std::byte>> open(std::span<const std::byte> cipher, std::span<const std::byte> ad);

 private:
  Opener();
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace pairgate::peer
