#include "core/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace pairgate {

namespace {

std::array<std::uint8_t, 16> prefix_mask_v6(unsigned len) {
  std::array<std::uint8_t, 16> m{};
  for (unsigned i = 0; i < 16; ++i) {
    if (len >= 8 * (i + 1)) {
      m[i] = 0xff;
    } else if (len > 8 * i) {
      m[i] = static_cast<std::uint8_t>(0xff << (8 - (len - 8 * i)));
    }
  }
  return m;
}

std::uint32_t prefix_mask_v4(unsigned len) { return len == 0 ? 0 : ~std::uint32_t{0} << (32 - len); }

}  // namespace

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  std::uint32_t value = 0;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    unsigned part = 0;
    auto [next, ec] = std::from_chars(p, end, part);
    if (ec != std::errc{} || part > 255 || next - p > 3) return std::nullopt;
    if (next - p > 1 && *p == '0') return std::nullopt;  // "01" is ambiguous (octal in inet_aton)
    value = (value << 8) | part;
    p = next;
  }
  if (p != end) return std::nullopt;
  return Ipv4Address(value);
}

std::array<std::uint8_t, 4> Ipv4Address::bytes() const {
  return {static_cast<std::uint8_t>(value_ >> 24), static_cast<std::uint8_t>(value_ >> 16),
          static_cast<std::uint8_t>(value_ >> 8), static_cast<std::uint8_t>(value_)};
}

Ipv4Address Ipv4Address::from_bytes(const std::array<std::uint8_t, 4>& b) {
  return Ipv4Address((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                     (std::uint32_t{b[2]} << 8) | b[3]);
}

std::string Ipv4Address::to_string() const {
  auto b = bytes();
  char buf[16];
  std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);
  return buf;
}

std::optional<Ipv6Address> Ipv6Address::parse(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  std::array<std::uint8_t, 16> b{};
  if (inet_pton(AF_INET6, s.c_str(), b.data()) != 1) return std::nullopt;
  return Ipv6Address(b);
}

std::string Ipv6Address::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) {
    if (auto a = Ipv6Address::parse(text)) return IpAddress(*a);
    return std::nullopt;
  }
  if (auto a = Ipv4Address::parse(text)) return IpAddress(*a);
  return std::nullopt;
}

std::string IpAddress::to_string() const { return is_v4() ? v4().to_string() : v6().to_string(); }

std::optional<IpPrefix> IpPrefix::parse(std::string_view text, bool allow_bare) {
  auto slash = text.find('/');
  auto addr = IpAddress::parse(text.substr(0, slash));
  if (!addr) return std::nullopt;
  unsigned width = addr->is_v4() ? 32 : 128;
  if (slash == std::string_view::npos) {
    if (!allow_bare) return std::nullopt;
    return IpPrefix(*addr, width);
  }
  auto len_text = text.substr(slash + 1);
  unsigned len = 0;
  auto [next, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc{} || next != len_text.data() + len_text.size() || len > width ||
      len_text.size() > 3 || (len_text.size() > 1 && len_text.front() == '0')) {
    return std::nullopt;
  }
  return IpPrefix(*addr, len);
}

IpPrefix IpPrefix::network() const {
  if (address_.is_v4()) {
    return IpPrefix(Ipv4Address(address_.v4().to_uint() & prefix_mask_v4(length_)), length_);
  }
  auto b = address_.v6().bytes();
  auto m = prefix_mask_v6(length_);
  for (unsigned i = 0; i < 16; ++i) b[i] &= m[i];
  return IpPrefix(Ipv6Address(b), length_);
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != family()) return false;
  return IpPrefix(a, length_).network().address() == network().address();
}

bool IpPrefix::overlaps(const IpPrefix& other) const {
  if (other.family() != family()) return false;
  return length_ <= other.length_ ? contains(other.address_) : other.contains(address_);
}

Ipv4Address IpPrefix::v4_last() const {
  return Ipv4Address(address_.v4().to_uint() | ~prefix_mask_v4(length_));
}

std::string IpPrefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(length_);
}

std::optional<Ipv4Range> Ipv4Range::parse(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto first = Ipv4Address::parse(text.substr(0, dash));
  auto last = Ipv4Address::parse(text.substr(dash + 1));
  if (!first || !last) return std::nullopt;
  return Ipv4Range{*first, *last};
}

std::string Ipv4Range::to_string() const { return first.to_string() + "-" + last.to_string(); }

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  std::array<std::uint8_t, 6> b{};
  const char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  for (int i = 0; i < 6; ++i) {
    if (i > 0 && text[3 * i - 1] != sep) return std::nullopt;
    unsigned v = 0;
    auto part = text.substr(3 * i, 2);
    auto [next, ec] = std::from_chars(part.data(), part.data() + 2, v, 16);
    if (ec != std::errc{} || next != part.data() + 2) return std::nullopt;
    b[i] = static_cast<std::uint8_t>(v);
  }
  return MacAddress(b);
}

std::string MacAddress::to_string() const {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0], bytes_[1], bytes_[2],
                bytes_[3], bytes_[4], bytes_[5]);
  return buf;
}

}  // namespace pairgate
