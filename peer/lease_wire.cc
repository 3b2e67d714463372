#include "peer/lease_wire.h"

#include "core/byte_io.h"

namespace pairgate::peer {

namespace {

void u64(ByteWriter& w, std::uint64_t v) {
  w.u32(static_cast<std::uint32_t>(v >> 32));
  w.u32(static_cast<std::uint32_t>(v));
}

std::optional<std::uint64_t> u64(ByteReader& r) {
  auto hi = r.u32();
  auto lo = r.u32();
  if (!hi || !lo) return std::nullopt;
  return (std::uint64_t{*hi} << 32) | *lo;
}

void write_record(ByteWriter& w, const LeaseRecord& l) {
  w.u32(l.address.to_uint());
  w.u8(static_cast<std::uint8_t>(l.state));
  w.u8(l.hw_address ? 1 : 0);
  u64(w, static_cast<std::uint64_t>(l.cltt));
  u64(w, static_cast<std::uint64_t>(l.expires));
  if (l.hw_address) w.bytes(std::as_bytes(std::span(l.hw_address->bytes())));
  w.u16(static_cast<std::uint16_t>(l.client.size()));
  w.bytes(std::as_bytes(std::span(l.client.data(), l.client.size())));
  w.u8(static_cast<std::uint8_t>(l.hostname.size()));
  w.bytes(std::as_bytes(std::span(l.hostname.data(), l.hostname.size())));
}

std::expected<LeaseRecord, LeaseWireError> read_record(ByteReader& r) {
  LeaseRecord l;
  auto address = r.u32();
  auto state = r.u8();
  auto flags = r.u8();
  auto cltt = u64(r);
  auto expires = u64(r);
  if (!address || !state || !flags || !cltt || !expires) return std::unexpected(LeaseWireError::malformed);
  if (*state < 1 || *state > 4 || (*flags & ~1u) != 0) return std::unexpected(LeaseWireError::bad_record);
  l.address = Ipv4Address(*address);
  l.state = static_cast<LeaseRecordState>(*state);
  l.cltt = static_cast<std::int64_t>(*cltt);
  l.expires = static_cast<std::int64_t>(*expires);
  if (*flags & 1) {
    auto hw = r.bytes(6);
    if (!hw) return std::unexpected(LeaseWireError::malformed);
    std::array<std::uint8_t, 6> mac{};
    for (std::size_t i = 0; i < 6; ++i) mac[i] = std::to_integer<std::uint8_t>((*hw)[i]);
    l.hw_address = MacAddress(mac);
  }
  auto client_len = r.u16();
  if (!client_len) return std::unexpected(LeaseWireError::malformed);
  if (*client_len > kMaxLeaseClientBytes) return std::unexpected(LeaseWireError::bad_record);
  auto client = r.bytes(*client_len);
  auto host_len = r.u8();
  if (!client || !host_len) return std::unexpected(LeaseWireError::malformed);
  auto host = r.bytes(*host_len);
  if (!host) return std::unexpected(LeaseWireError::malformed);
  l.client.assign(reinterpret_cast<const char*>(client->data()), client->size());
  l.hostname.assign(reinterpret_cast<const char*>(host->data()), host->size());
  return l;
}

std::expected<std::vector<LeaseRecord>, LeaseWireError> read_records(ByteReader& r) {
  auto count = r.u16();
  if (!count) return std::unexpected(LeaseWireError::malformed);
  if (*count > kMaxRecordsPerMessage) return std::unexpected(LeaseWireError::too_many);
  std::vector<LeaseRecord> out;
  out.reserve(*count);
  for (unsigned i = 0; i < *count; ++i) {
    auto rec = read_record(r);
    if (!rec) return std::unexpected(rec.error());
    out.push_back(std::move(*rec));
  }
  if (r.remaining() != 0) return std::unexpected(LeaseWireError::malformed);
  return out;
}

void write_records(ByteWriter& w, std::span<const LeaseRecord> records) {
  w.u16(static_cast<std::uint16_t>(records.size()));
  for (const auto& l : records) write_record(w, l);
}

}  // namespace

std::string_view to_string(LeaseWireError e) {
  switch (e) {
    case LeaseWireError::malformed: return "malformed";
    case LeaseWireError::bad_record: return "bad_record";
    case LeaseWireError::too_many: return "too_many";
  }
  return "?";
}

void encode_record(const LeaseRecord& r, std::vector<std::byte>& out) {
  ByteWriter w;
  write_record(w, r);
  out.insert(out.end(), w.data().begin(), w.data().end());
}

std::vector<std::byte> encode(const LeaseHello& h) {
  ByteWriter w;
  w.u8(kLeaseSyncVersion);
  u64(w, h.epoch);
  u64(w, h.known_epoch);
  u64(w, h.known_seq);
  w.u16(static_cast<std::uint16_t>(h.scope.subnets.size()));
  for (const auto& s : h.scope.subnets) {
    w.u32(s.address().v4().to_uint());
    w.u8(static_cast<std::uint8_t>(s.length()));
  }
  w.u16(static_cast<std::uint16_t>(h.scope.pools.size()));
  for (const auto& p : h.scope.pools) {
    w.u32(p.first.to_uint());
    w.u32(p.last.to_uint());
  }
  return w.take();
}

std::expected<LeaseHello, LeaseWireError> parse_lease_hello(std::span<const std::byte> payload) {
  const auto bad = std::unexpected(LeaseWireError::malformed);
  ByteReader r(payload);
  LeaseHello h;
  auto version = r.u8();
  auto epoch = u64(r);
  auto known_epoch = u64(r);
  auto known_seq = u64(r);
  auto subnets = r.u16();
  if (!version || !epoch || !known_epoch || !known_seq || !subnets || *version != kLeaseSyncVersion) return bad;
  if (*subnets > kMaxScopeSubnets) return std::unexpected(LeaseWireError::too_many);
  h.epoch = *epoch;
  h.known_epoch = *known_epoch;
  h.known_seq = *known_seq;
  for (unsigned i = 0; i < *subnets; ++i) {
    auto a = r.u32();
    auto len = r.u8();
    if (!a || !len) return bad;
    if (*len > 32) return std::unexpected(LeaseWireError::bad_record);
    h.scope.subnets.emplace_back(Ipv4Address(*a), *len);
  }
  auto pools = r.u16();
  if (!pools) return bad;
  if (*pools > kMaxScopePools) return std::unexpected(LeaseWireError::too_many);
  for (unsigned i = 0; i < *pools; ++i) {
    auto first = r.u32();
    auto last = r.u32();
    if (!first || !last) return bad;
    if (*last < *first) return std::unexpected(LeaseWireError::bad_record);
    h.scope.pools.push_back(Ipv4Range{Ipv4Address(*first), Ipv4Address(*last)});
  }
  if (r.remaining() != 0) return bad;
  return h;
}

std::vector<std::byte> encode(const Batch& b) {
  ByteWriter w;
  u64(w, b.epoch);
  u64(w, b.first_seq);
  write_records(w, b.records);
  return w.take();
}

std::expected<Batch, LeaseWireError> parse_batch(std::span<const std::byte> payload) {
  ByteReader r(payload);
  Batch b;
  auto epoch = u64(r);
  auto first = u64(r);
  if (!epoch || !first || *first == 0) return std::unexpected(LeaseWireError::malformed);
  b.epoch = *epoch;
  b.first_seq = *first;
  auto records = read_records(r);
  if (!records) return std::unexpected(records.error());
  if (records->empty() || b.first_seq + records->size() < b.first_seq) return std::unexpected(LeaseWireError::malformed);
  b.records = std::move(*records);
  return b;
}

std::vector<std::byte> encode(const Position& p) {
  ByteWriter w;
  u64(w, p.epoch);
  u64(w, p.seq);
  return w.take();
}

std::expected<Position, LeaseWireError> parse_position(std::span<const std::byte> payload) {
  ByteReader r(payload);
  auto epoch = u64(r);
  auto seq = u64(r);
  if (!epoch || !seq || r.remaining() != 0) return std::unexpected(LeaseWireError::malformed);
  return Position{*epoch, *seq};
}

std::vector<std::byte> encode_records(std::span<const LeaseRecord> records) {
  ByteWriter w;
  write_records(w, records);
  return w.take();
}

std::expected<std::vector<LeaseRecord>, LeaseWireError> parse_records(std::span<const std::byte> payload) {
  ByteReader r(payload);
  return read_records(r);
}

}  // namespace pairgate::peer
