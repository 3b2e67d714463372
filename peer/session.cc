#include "peer/session.h"

#include "core/byte_io.h"

namespace pairgate::peer {

Session::Session(Role role, const Key& master, const Nonce& nonce) : role_(role), master_(master) {
  mine_.role = role;
  mine_.nonce = nonce;
}

Session::~Session() = default;

Session::Received Session::receive(std::span<const std::byte> bytes) {
  Received out;
  if (phase_ == Phase::failed) return out;
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  auto fail = [&](Reject why, std::string detail) {
    phase_ = Phase::failed;
    out.error = why;
    out.detail = std::move(detail);
    in_.clear();
    consumed_ = 0;
  };
  for (;;) {
    const std::span<const std::byte> rest = std::span(in_).subspan(consumed_);
    if (phase_ == Phase::greeting) {
      if (rest.size() < kGreetingBytes) break;
      auto theirs = parse_greeting(rest.first(kGreetingBytes));
      if (!theirs) {
        fail(theirs.error(), "greeting");
        break;
      }
      if (theirs->role == role_) {
        fail(Reject::bad_role, "both ends are " + std::string(to_string(role_)));
        break;
      }
      consumed_ += kGreetingBytes;
      // The transcript is the dialer's greeting, then the listener's.
      std::vector<std::byte> transcript = encode(role_ == Role::dialer ? mine_ : *theirs);
      const auto second = encode(role_ == Role::dialer ? *theirs : mine_);
      transcript.insert(transcript.end(), second.begin(), second.end());
      DirectionKeys keys = session_keys(master_, transcript, role_ == Role::dialer);
      sealer_ = std::make_unique<Sealer>(keys.send);
      receive_key_ = keys.receive;
      const auto& h = sealer_->header();
      const auto hb = std::as_bytes(std::span(h));
      out.send.insert(out.send.end(), hb.begin(), hb.end());
      phase_ = Phase::header;
      continue;
    }
    if (phase_ == Phase::header) {
      if (rest.size() < kStreamHeaderBytes) break;
      opener_ = Opener::make(receive_key_, rest.first(kStreamHeaderBytes));
      receive_key_ = Key{};
      if (!opener_) {
        fail(Reject::bad_auth, "stream header");
        break;
      }
      consumed_ += kStreamHeaderBytes;
      phase_ = Phase::frames;
      continue;
    }
    // Frames.
    if (rest.size() < kLengthBytes) break;
    ByteReader r(rest);
    const std::uint32_t length = *r.u32();
    if (length > kMaxCipher) {
      fail(Reject::oversize, std::to_string(length) + " bytes");
      break;
    }
    if (length < kSealOverhead + 2) {
      fail(Reject::bad_frame, std::to_string(length) + " bytes");
      break;
    }
    if (rest.size() < kLengthBytes + length) break;
    auto plain = opener_->open(rest.subspan(kLengthBytes, length), rest.first(kLengthBytes));
    if (!plain) {
      fail(Reject::bad_auth, "frame of " + std::to_string(length) + " bytes");
      break;
    }
    consumed_ += kLengthBytes + length;
    ByteReader p(*plain);
    Frame f;
    f.type = *p.u16();
    f.payload.assign(plain->begin() + 2, plain->end());
    out.frames.push_back(std::move(f));
  }
  // Keep the buffer from growing with what was consumed.
  if (consumed_ > 0 && (consumed_ == in_.size() || consumed_ >= 64 * 1024)) {
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  return out;
}

void Session::seal(PeerMessageType type, std::span<const std::byte> payload, std::vector<std::byte>& out) {
  ByteWriter plain;
  plain.u16(type);
  plain.bytes(payload);
  const auto length = static_cast<std::uint32_t>(plain.size() + kSealOverhead);
  ByteWriter len;
  len.u32(length);
  out.insert(out.end(), len.data().begin(), len.data().end());
  sealer_->seal(plain.data(), len.data(), out);
}

}  // namespace pairgate::peer
