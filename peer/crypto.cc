#include "peer/crypto.h"

#include <sodium.h>

#include <stdexcept>
#include <string_view>

namespace pairgate::peer {

static_assert(kStreamHeaderBytes == crypto_secretstream_xchacha20poly1305_HEADERBYTES);
static_assert(kSealOverhead == crypto_secretstream_xchacha20poly1305_ABYTES);
static_assert(kKeyBytes == crypto_secretstream_xchacha20poly1305_KEYBYTES);
static_assert(kKeyBytes == crypto_kdf_KEYBYTES);

namespace {

constexpr std::string_view kMasterContext = "pairgate peer v1";  // BLAKE2b key for the master key
constexpr char kKdfContext[crypto_kdf_CONTEXTBYTES + 1] = "pgpeer01";
constexpr std::uint64_t kDialerToListener = 1;
constexpr std::uint64_t kListenerToDialer = 2;

const unsigned char* u8(std::span<const std::byte> s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

void crypto_init() {
  static const bool ready = ::sodium_init() >= 0;
  if (!ready) throw std::runtime_error("libsodium cannot be initialised");
}

void random_bytes(std::span<std::uint8_t> out) {
  crypto_init();
  ::randombytes_buf(out.data(), out.size());
}

Key::~Key() { ::sodium_memzero(bytes_.data(), bytes_.size()); }

Key master_key(std::span<const std::uint8_t> secret) {
  crypto_init();
  std::array<std::uint8_t, kKeyBytes> out{};
  ::crypto_generichash(out.data(), out.size(), secret.data(), secret.size(),
                       reinterpret_cast<const unsigned char*>(kMasterContext.data()), kMasterContext.size());
  Key k(out);
  ::sodium_memzero(out.data(), out.size());
  return k;
}

DirectionKeys session_keys(const Key& master, std::span<const std::byte> transcript, bool dialer) {
  std::array<std::uint8_t, kKeyBytes> session{}, a{}, b{};
  ::crypto_generichash(session.data(), session.size(), u8(transcript), transcript.size(), master.bytes().data(),
                       master.bytes().size());
  ::crypto_kdf_derive_from_key(a.data(), a.size(), kDialerToListener, kKdfContext, session.data());
  ::crypto_kdf_derive_from_key(b.data(), b.size(), kListenerToDialer, kKdfContext, session.data());
  DirectionKeys keys{dialer ? Key(a) : Key(b), dialer ? Key(b) : Key(a)};
  ::sodium_memzero(session.data(), session.size());
  ::sodium_memzero(a.data(), a.size());
  ::sodium_memzero(b.data(), b.size());
  return keys;
}

struct Sealer::State {
  crypto_secretstream_xchacha20poly1305_state s;
  ~State() { ::sodium_memzero(&s, sizeof s); }
};

Sealer::Sealer(const Key& key) : state_(std::make_unique<State>()) {
  ::crypto_secretstream_xchacha20poly1305_init_push(&state_->s, header_.data(), key.bytes().data());
}

Sealer::~Sealer() = default;

void Sealer::seal(std::span<const std::byte> plain, std::span<const std::byte> ad, std::vector<std::byte>& out) {
  const std::size_t at = out.size();
  out.resize(at + plain.size() + kSealOverhead);
  unsigned long long written = 0;
  ::crypto_secretstream_xchacha20poly1305_push(&state_->s, reinterpret_cast<unsigned char*>(out.data() + at), &written,
                                               u8(plain), plain.size(), u8(ad), ad.size(),
                                               crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  out.resize(at + written);
}

struct Opener::State {
  crypto_secretstream_xchacha20poly1305_state s;
  ~State() { ::sodium_memzero(&s, sizeof s); }
};

Opener::Opener() : state_(std::make_unique<State>()) {}
Opener::~Opener() = default;

std::unique_ptr<Opener> Opener::make(const Key& key, std::span<const std::byte> header) {
  if (header.size() != kStreamHeaderBytes) return nullptr;
  std::unique_ptr<Opener> o(new Opener());
  if (::crypto_secretstream_xchacha20poly1305_init_pull(&o->state_->s, u8(header), key.bytes().data()) != 0) {
    return nullptr;
  }
  return o;
}

std::optional<std::vector<std::byte>> Opener::open(std::span<const std::byte> cipher, std::span<const std::byte> ad) {
  if (cipher.size() < kSealOverhead) return std::nullopt;
  std::vector<std::byte> plain(cipher.size() - kSealOverhead);
  unsigned long long length = 0;
  unsigned char tag = 0;
  if (::crypto_secretstream_xchacha20poly1305_pull(&state_->s, reinterpret_cast<unsigned char*>(plain.data()), &length,
                                                   &tag, u8(cipher), cipher.size(), u8(ad), ad.size()) != 0 ||
      tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    return std::nullopt;
  }
  plain.resize(length);
  return plain;
}

}  // namespace pairgate::peer
