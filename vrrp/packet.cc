#include "vrrp/packet.h"

#include "core/byte_io.h"

namespace pairgate::vrrp {

namespace {

constexpr std::size_t kHeaderBytes = 8;  // version/type .. checksum
constexpr std::size_t kAuthBytes = 8;    // v2 only
constexpr std::uint8_t kTypeAdvertisement = 1;

std::size_t address_bytes(Family f) { return f == Family::ipv4 ? 4 : 16; }

bool is_group(const IpAddress& a) { return a == multicast_group(a.family()); }

void put_address(ByteWriter& w, const IpAddress& a) {
  if (a.is_v4()) {
    w.u32(a.v4().to_uint());
  } else {
    for (auto b : a.v6().bytes()) w.u8(b);
  }
}

std::uint32_t sum_address(const IpAddress& a) {
  std::uint32_t s = 0;
  if (a.is_v4()) {
    const std::uint32_t v = a.v4().to_uint();
    return (v >> 16) + (v & 0xffff);
  }
  const auto& b = a.v6().bytes();
  for (std::size_t i = 0; i < 16; i += 2) s += (std::uint32_t{b[i]} << 8) | b[i + 1];
  return s;
}

}  // namespace

std::string_view to_string(Drop d) {
  constexpr std::string_view names[kDropKinds] = {
      "packet_len_err",    "ip_header_err", "ip_ttl_err",          "invalid_protocol", "version_err",
      "invalid_type_rcvd", "checksum_err",  "vrid_err",            "invalid_authtype", "authtype_mismatch",
      "auth_failure",      "advert_interval_err", "addr_list_err", "own_advert",       "owner_advert_rcvd",
      "unicast_src_err"};
  return names[static_cast<std::size_t>(d)];
}

std::uint16_t advert_checksum(std::span<const std::byte> message, const Endpoints& ends, bool pseudo_header) {
  std::uint32_t initial = 0;
  if (pseudo_header) {
    // RFC 5798 §5.2.8, with RFC 2460 §8.1's pseudo-header for IPv6 and
    // RFC 768's layout for IPv4: source, destination, the upper-layer
    // length, and the protocol 112. One's complement addition is
    // associative, so the fields can be summed in any grouping.
    initial = sum_address(ends.source) + sum_address(ends.destination) + kProtocol;
    const auto len = static_cast<std::uint32_t>(message.size());
    initial += (len >> 16) + (len & 0xffff);
  }
  return internet_checksum(message, initial);
}

std::expected<Received, Drop> parse_datagram(std::span<const std::byte> datagram) {
  ByteReader r(datagram);
  auto ver_ihl = r.u8();
  if (!ver_ihl) return std::unexpected(Drop::packet_len_err);
  if ((*ver_ihl >> 4) != 4) return std::unexpected(Drop::ip_header_err);
  const std::size_t ihl = (*ver_ihl & 0x0f) * 4u;
  if (ihl < 20) return std::unexpected(Drop::ip_header_err);
  r.skip(1);  // DSCP/ECN
  auto total = r.u16();
  r.skip(4);  // identification, flags, fragment offset
  auto ttl = r.u8();
  auto protocol = r.u8();
  r.skip(2);  // header checksum: the kernel verified it
  auto src = r.u32();
  auto dst = r.u32();
  if (r.failed() || datagram.size() < ihl) return std::unexpected(Drop::packet_len_err);
  if (*total < ihl || *total > datagram.size()) return std::unexpected(Drop::ip_header_err);
  if (*protocol != kProtocol) return std::unexpected(Drop::invalid_protocol);
  return parse_packet(datagram.subspan(ihl, *total - ihl), {Ipv4Address(*src), Ipv4Address(*dst)}, *ttl);
}

std::expected<Received, Drop> parse_packet(std::span<const std::byte> payload, const Endpoints& ends,
                                           int hop_limit) {
  // §7.1: "MUST verify that the IP TTL is 255" / "the IPv6 Hop Limit is
  // 255": for adverts to the group. Unicast ones are the engine's to judge.
  if (is_group(ends.destination) && hop_limit != kTtl) return std::unexpected(Drop::ip_ttl_err);
  const Family family = ends.source.family();
  ByteReader r(payload);
  auto version_type = r.u8();
  auto vrid = r.u8();
  auto priority = r.u8();
  auto count = r.u8();
  auto auth_or_rsvd = r.u8();  // v2: Auth Type; v3: Rsvd (4 bits) and the top of Max Adver Int
  auto interval = r.u8();
  if (r.failed() || payload.size() < kHeaderBytes) return std::unexpected(Drop::packet_len_err);
  const unsigned version = *version_type >> 4;
  // §7.1: "MUST verify the VRRP version": 2 over IPv4, 3 over either.
  if (version != 3 && (version != 2 || family != Family::ipv4)) return std::unexpected(Drop::version_err);
  if ((*version_type & 0x0f) != kTypeAdvertisement) return std::unexpected(Drop::invalid_type_rcvd);
  // §7.1: "MUST verify that the received packet contains the complete VRRP
  // packet (including fixed fields, IPvX address(es), and [v2]
  // Authentication Data)."
  const std::size_t expected = kHeaderBytes + address_bytes(family) * *count + (version == 2 ? kAuthBytes : 0);
  if (payload.size() < expected) return std::unexpected(Drop::packet_len_err);
  const auto message = payload.first(expected);
  Received out;
  // §7.1: "MUST verify the VRRP checksum."
  if (version == 2) {
    if (advert_checksum(message, ends, false) != 0) return std::unexpected(Drop::checksum_err);
  } else if (advert_checksum(message, ends, true) != 0) {
    // RFC 5798 §5.2.8 as keepalived 2.2.7 reads it; over IPv4 some
    // routers sum the message alone.
    if (family != Family::ipv4 || advert_checksum(message, ends, false) != 0) return std::unexpected(Drop::checksum_err);
    out.checksum_as_v2 = true;
  }
  Advert& a = out.advert;
  a.version = static_cast<std::uint8_t>(version);
  a.vrid = VrId{*vrid};
  a.priority = Priority{*priority};
  if (version == 2) {
    if (*auth_or_rsvd > static_cast<std::uint8_t>(AuthType::ip_ah)) return std::unexpected(Drop::invalid_authtype);
    a.auth_type = static_cast<AuthType>(*auth_or_rsvd);
    a.interval = std::chrono::seconds(*interval);
  } else {
    // RFC 5798 §5.2.6: Rsvd "MUST be ... ignored on reception".
    a.interval = Centiseconds(((*auth_or_rsvd & 0x0f) << 8) | *interval);
  }
  r.skip(2);  // checksum
  a.addresses.reserve(*count);
  for (unsigned i = 0; i < *count; ++i) {
    if (family == Family::ipv4) {
      a.addresses.emplace_back(Ipv4Address(*r.u32()));
    } else {
      std::array<std::uint8_t, 16> b{};
      for (auto& x : b) x = *r.u8();
      a.addresses.emplace_back(Ipv6Address(b));
    }
  }
  if (version == 2) {
    auto auth_data = r.bytes(kAuthBytes);
    for (std::size_t i = 0; i < kAuthBytes; ++i) a.auth_data[i] = std::to_integer<std::uint8_t>((*auth_data)[i]);
  }
  out.source = ends.source;
  out.destination = ends.destination;
  out.hop_limit = hop_limit;
  return out;
}

std::expected<Advert, Drop> parse_advert(std::span<const std::byte> payload) {
  const Endpoints none{Ipv4Address(), Ipv4Address()};
  if (!payload.empty() && (std::to_integer<unsigned>(payload[0]) >> 4) != 2) {
    if (payload.size() < kHeaderBytes) return std::unexpected(Drop::packet_len_err);
    return std::unexpected(Drop::version_err);
  }
  auto r = parse_packet(payload, none, kTtl);
  if (!r) return std::unexpected(r.error());
  return std::move(r->advert);
}

std::vector<std::byte> build_advert(const Advert& a, const Endpoints& ends) {
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>((a.version << 4) | kTypeAdvertisement));
  w.u8(a.vrid.value);
  w.u8(a.priority.value);
  w.u8(static_cast<std::uint8_t>(a.addresses.size()));
  if (a.version == 2) {
    w.u8(static_cast<std::uint8_t>(a.auth_type));
    w.u8(static_cast<std::uint8_t>(std::chrono::duration_cast<std::chrono::seconds>(a.interval).count()));
  } else {
    // RFC 5798 §5.2.6/§5.2.7: Rsvd zero, then 12 bits of centiseconds.
    w.u16(static_cast<std::uint16_t>(a.interval.count() & 0x0fff));
  }
  w.u16(0);  // checksum, filled below
  for (const auto& addr : a.addresses) put_address(w, addr);
  if (a.version == 2) {
    for (auto b : a.auth_data) w.u8(b);
  }
  // §5.3.8 (v2) / §5.2.8 (v3): the checksum, computed with the field zero.
  w.put_u16_at(6, advert_checksum(w.data(), ends, a.version == 3));
  return w.take();
}

std::array<std::uint8_t, 8> simple_auth_data(std::string_view password) {
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < password.size() && i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(password[i]);
  return out;
}

}  // namespace pairgate::vrrp
