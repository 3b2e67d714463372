#include "ctsync/wire.h"

#include "core/byte_io.h"

namespace pairgate::ctsync {

bool valid_l4(std::uint8_t p) { return p == 1 || p == 6 || p == 17; }

namespace {

void put(ByteWriter& w, const Tuple& t) {
  w.u32(t.src);
  w.u32(t.dst);
  w.u16(t.sport);
  w.u16(t.dport);
}

std::optional<Tuple> get(ByteReader& r) {
  auto src = r.u32(), dst = r.u32();
  auto sp = r.u16(), dp = r.u16();
  if (r.failed()) return std::nullopt;
  return Tuple{*src, *dst, *sp, *dp};
}

}  // namespace

std::vector<std::byte> encode_changes(std::span<const Change> changes) {
  ByteWriter w;
  w.u8(kWireVersion);
  w.u16(static_cast<std::uint16_t>(changes.size()));
  for (const auto& c : changes) {
    w.u8(static_cast<std::uint8_t>(c.op));
    w.u8(static_cast<std::uint8_t>(c.entry.key.l4));
    put(w, c.entry.key.orig);
    put(w, c.entry.reply);
    w.u8(c.entry.tcp_state);
    w.u32(c.entry.timeout_s);
    w.u32(c.entry.mark);
    w.u32(c.entry.status);
  }
  return w.take();
}

std::expected<std::vector<Change>, WireError> parse_changes(std::span<const std::byte> payload) {
  ByteReader r(payload);
  auto version = r.u8();
  auto count = r.u16();
  if (r.failed()) return std::unexpected(WireError::malformed);
  if (*version != kWireVersion) return std::unexpected(WireError::bad_version);
  // The count must describe the payload exactly: no trailing bytes, no short last change.
  if (*count > kMaxChangesPerMessage || r.remaining() != *count * kChangeBytes) {
    return std::unexpected(WireError::malformed);
  }
  std::vector<Change> out;
  out.reserve(*count);
  for (std::size_t i = 0; i < *count; ++i) {
    Change c;
    auto op = r.u8(), l4 = r.u8();
    auto orig = get(r), reply = get(r);
    auto state = r.u8();
    auto timeout = r.u32(), mark = r.u32(), status = r.u32();
    if (r.failed() || !orig || !reply) return std::unexpected(WireError::malformed);
    if ((*op != 1 && *op != 2) || !valid_l4(*l4) || *state > kMaxTcpState || *timeout > kMaxTimeoutSeconds) {
      return std::unexpected(WireError::bad_field);
    }
    if (static_cast<L4>(*l4) != L4::tcp && *state != 0) return std::unexpected(WireError::bad_field);
    c.op = static_cast<Op>(*op);
    c.entry.key = Key{static_cast<L4>(*l4), *orig};
    c.entry.reply = *reply;
    c.entry.tcp_state = *state;
    c.entry.timeout_s = *timeout;
    c.entry.mark = *mark;
    c.entry.status = *status;
    out.push_back(c);
  }
  return out;
}

std::vector<std::byte> encode_dump_request() { return {static_cast<std::byte>(kWireVersion)}; }

std::expected<void, WireError> parse_dump_request(std::span<const std::byte> payload) {
  ByteReader r(payload);
  auto version = r.u8();
  if (r.failed() || r.remaining() != 0) return std::unexpected(WireError::malformed);
  if (*version != kWireVersion) return std::unexpected(WireError::bad_version);
  return {};
}

}  // namespace pairgate::ctsync
