#include "vrrp/packet.h"

#include "core/byte_io.h"

namespace pairgate::vrrp {

namespace {

constexpr std::size_t kHeaderBytes = 8;  // version/type .. checksum
constexpr std::size_t kAuthBytes = 8;
constexpr std::uint8_t kTypeAdvertisement = 1;

}  // namespace

std::string_view to_string(Drop d) {
  constexpr std::string_view names[kDropKinds] = {
      "packet_len_err", "ip_header_err",    "ip_ttl_err",          "invalid_protocol", "version_err",
      "invalid_type_rcvd", "checksum_err",  "vrid_err",            "invalid_authtype", "authtype_mismatch",
      "auth_failure",   "advert_interval_err", "addr_list_err",    "own_advert",       "owner_advert_rcvd"};
  return names[static_cast<std::size_t>(d)];
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
  // §7.1: "MUST verify that the IP TTL is 255."
  if (*ttl != kTtl) return std::unexpected(Drop::ip_ttl_err);
  auto advert = parse_advert(datagram.subspan(ihl, *total - ihl));
  if (!advert) return std::unexpected(advert.error());
  return Received{std::move(*advert), Ipv4Address(*src), Ipv4Address(*dst)};
}

std::expected<Advert, Drop> parse_advert(std::span<const std::byte> payload) {
  ByteReader r(payload);
  auto version_type = r.u8();
  auto vrid = r.u8();
  auto priority = r.u8();
  auto count = r.u8();
  auto auth = r.u8();
  auto interval = r.u8();
  if (r.failed() || payload.size() < kHeaderBytes) return std::unexpected(Drop::packet_len_err);
  // §7.1: "MUST verify the VRRP version is 2."
  if ((*version_type >> 4) != 2) return std::unexpected(Drop::version_err);
  if ((*version_type & 0x0f) != kTypeAdvertisement) return std::unexpected(Drop::invalid_type_rcvd);
  // §7.1: "MUST verify that the received packet contains the complete VRRP
  // packet (including fixed fields, IP Address(es), and Authentication Data)."
  const std::size_t expected = kHeaderBytes + 4u * *count + kAuthBytes;
  if (payload.size() < expected) return std::unexpected(Drop::packet_len_err);
  // §7.1: "MUST verify the VRRP checksum."
  if (internet_checksum(payload.first(expected)) != 0) return std::unexpected(Drop::checksum_err);
  if (*auth > static_cast<std::uint8_t>(AuthType::ip_ah)) return std::unexpected(Drop::invalid_authtype);
  r.skip(2);  // checksum
  Advert a;
  a.version = 2;
  a.vrid = VrId{*vrid};
  a.priority = Priority{*priority};
  a.auth_type = static_cast<AuthType>(*auth);
  a.interval = std::chrono::seconds(*interval);
  a.addresses.reserve(*count);
  for (unsigned i = 0; i < *count; ++i) a.addresses.emplace_back(*r.u32());
  auto auth_data = r.bytes(kAuthBytes);
  for (std::size_t i = 0; i < kAuthBytes; ++i) a.auth_data[i] = std::to_integer<std::uint8_t>((*auth_data)[i]);
  return a;
}

std::vector<std::byte> build_advert(const Advert& a) {
  ByteWriter w;
  w.u8(static_cast<std::uint8_t>((2 << 4) | kTypeAdvertisement));
  w.u8(a.vrid.value);
  w.u8(a.priority.value);
  w.u8(static_cast<std::uint8_t>(a.addresses.size()));
  w.u8(static_cast<std::uint8_t>(a.auth_type));
  w.u8(static_cast<std::uint8_t>(a.interval.count()));
  w.u16(0);  // checksum, filled below
  for (const auto& addr : a.addresses) w.u32(addr.to_uint());
  for (auto b : a.auth_data) w.u8(b);
  // §5.3.8: the checksum covers the VRRP message, with the field zero.
  const std::uint16_t sum = internet_checksum(w.data());
  w.put_u16_at(6, sum);
  return w.take();
}

std::array<std::uint8_t, 8> simple_auth_data(std::string_view password) {
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < password.size() && i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(password[i]);
  return out;
}

}  // namespace pairgate::vrrp
