#include "peer/wire.h"

#include <algorithm>
#include <array>

#include "core/byte_io.h"

namespace pairgate::peer {

namespace {

constexpr std::array<std::byte, 4> kMagic = {std::byte{'P'}, std::byte{'G'}, std::byte{'P'}, std::byte{'R'}};

constexpr std::array<std::string_view, kRejectCount> kRejectNames = {
    "unknown_source", "busy",        "bad_greeting", "bad_version",  "bad_role",
    "bad_auth",       "oversize",    "bad_frame",    "bad_hello",    "same_node",
    "bad_message",    "unknown_type", "handshake_timeout", "truncated"};

std::span<const std::byte> as_bytes(std::string_view s) { return std::as_bytes(std::span(s.data(), s.size())); }

std::optional<std::string> text(ByteReader& r, std::size_t length) {
  auto b = r.bytes(length);
  if (!b) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(b->data()), b->size());
}

}  // namespace

std::string_view to_string(Role r) { return r == Role::dialer ? "dialer" : "listener"; }
std::string_view to_string(Reject r) { return kRejectNames[static_cast<std::size_t>(r)]; }

std::vector<std::byte> encode(const Greeting& g) {
  ByteWriter w;
  w.bytes(kMagic);
  w.u8(g.version);
  w.u8(static_cast<std::uint8_t>(g.role));
  w.u16(0);
  w.bytes(std::as_bytes(std::span(g.nonce)));
  return w.take();
}

std::expected<Greeting, Reject> parse_greeting(std::span<const std::byte> bytes) {
  if (bytes.size() != kGreetingBytes) return std::unexpected(Reject::bad_greeting);
  ByteReader r(bytes);
  auto magic = r.bytes(kMagic.size());
  auto version = r.u8();
  auto role = r.u8();
  auto reserved = r.u16();
  auto nonce = r.bytes(kNonceBytes);
  if (r.failed() || !std::ranges::equal(*magic, kMagic) || *reserved != 0) return std::unexpected(Reject::bad_greeting);
  if (*version != kProtocolVersion) return std::unexpected(Reject::bad_version);
  if (*role > 1) return std::unexpected(Reject::bad_role);
  Greeting g;
  g.version = *version;
  g.role = static_cast<Role>(*role);
  std::ranges::transform(*nonce, g.nonce.begin(), [](std::byte b) { return std::to_integer<std::uint8_t>(b); });
  return g;
}

std::vector<std::byte> encode(const Hello& h) {
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>(h.node.size()));
  w.bytes(as_bytes(h.node));
  w.u8(static_cast<std::uint8_t>(h.software.size()));
  w.bytes(as_bytes(h.software));
  w.u8(static_cast<std::uint8_t>(h.parts.size()));
  for (const auto& p : h.parts) {
    w.u16(p.block);
    w.u16(static_cast<std::uint16_t>(p.bytes.size()));
    w.bytes(p.bytes);
  }
  return w.take();
}

std::expected<Hello, Reject> parse_hello(std::span<const std::byte> payload) {
  const auto bad = std::unexpected(Reject::bad_hello);
  ByteReader r(payload);
  Hello h;
  auto node_len = r.u8();
  if (!node_len || *node_len == 0 || *node_len > kMaxNode) return bad;
  auto node = text(r, *node_len);
  auto software_len = r.u8();
  if (!node || !software_len || *software_len > kMaxSoftware) return bad;
  auto software = text(r, *software_len);
  auto parts = r.u8();
  if (!software || !parts || *parts > kMaxHelloParts) return bad;
  h.node = std::move(*node);
  h.software = std::move(*software);
  for (unsigned i = 0; i < *parts; ++i) {
    auto block = r.u16();
    auto length = r.u16();
    if (!length || *length > PeerChannel::kMaxHelloPart) return bad;
    auto bytes = r.bytes(*length);
    if (!bytes) return bad;
    if (std::ranges::any_of(h.parts, [&](const HelloPart& p) { return p.block == *block; })) return bad;
    h.parts.push_back(HelloPart{*block, {bytes->begin(), bytes->end()}});
  }
  if (r.remaining() != 0) return bad;
  return h;
}

std::vector<std::byte> encode_token(std::uint64_t token) {
  ByteWriter w;
  w.u32(static_cast<std::uint32_t>(token >> 32));
  w.u32(static_cast<std::uint32_t>(token));
  return w.take();
}

std::expected<std::uint64_t, Reject> parse_token(std::span<const std::byte> payload) {
  ByteReader r(payload);
  auto hi = r.u32();
  auto lo = r.u32();
  if (r.failed() || r.remaining() != 0) return std::unexpected(Reject::bad_message);
  return (std::uint64_t{*hi} << 32) | *lo;
}

}  // namespace pairgate::peer
