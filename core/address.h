// Value types for addresses on the wire and in the configuration.
//
// All types keep their bytes in network order inside a std::array, compare as
// unsigned network-order integers (RFC 3768 §6.4.3 ties are broken this way),
// and parse the way iproute2 prints them. Parsing never throws: it returns
// std::nullopt on any malformed text.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace pairgate {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(std::uint32_t host_order) : value_(host_order) {}

  // Dotted quad only ("192.0.2.1"); no shorthand, no leading zeros.
  static std::optional<Ipv4Address> parse(std::string_view text);

  constexpr std::uint32_t to_uint() const { return value_; }  // host order
  std::array<std::uint8_t, 4> bytes() const;                  // network order
  static Ipv4Address from_bytes(const std::array<std::uint8_t, 4>& b);
  std::string to_string() const;

  constexpr auto operator<=>(const Ipv4Address&) const = default;

 private:
  std::uint32_t value_ = 0;
};

class Ipv6Address {
 public:
  constexpr Ipv6Address() = default;
  explicit Ipv6Address(const std::array<std::uint8_t, 16>& b) : bytes_(b) {}

  static std::optional<Ipv6Address> parse(std::string_view text);

  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string to_string() const;  // RFC 5952 form
  bool is_link_local() const { return bytes_[0] == 0xfe && (bytes_[1] & 0xc0) == 0x80; }
  bool is_multicast() const { return bytes_[0] == 0xff; }

  auto operator<=>(const Ipv6Address&) const = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

enum class Family { ipv4, ipv6 };

class IpAddress {
 public:
  IpAddress() = default;
  IpAddress(Ipv4Address a) : v_(a) {}  // NOLINT: implicit by design
  IpAddress(Ipv6Address a) : v_(a) {}  // NOLINT

  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return v_.index() == 0 ? Family::ipv4 : Family::ipv6; }
  bool is_v4() const { return v_.index() == 0; }
  const Ipv4Address& v4() const { return std::get<0>(v_); }
  const Ipv6Address& v6() const { return std::get<1>(v_); }
  std::string to_string() const;

  auto operator<=>(const IpAddress&) const = default;

 private:
  std::variant<Ipv4Address, Ipv6Address> v_;
};

// An address with a prefix length, as iproute2 writes it ("192.0.2.1/24").
// Host bits are kept: a VRRP virtual address is written this way.
class IpPrefix {
 public:
  IpPrefix() = default;
  IpPrefix(IpAddress a, unsigned len) : address_(a), length_(len) {}

  // "ADDR/LEN" with LEN a decimal within the family's width, without leading
  // zeros; "ADDR" alone gives the host prefix only when allow_bare is set.
  static std::optional<IpPrefix> parse(std::string_view text, bool allow_bare = false);

  const IpAddress& address() const { return address_; }
  unsigned length() const { return length_; }
  Family family() const { return address_.family(); }
  IpPrefix network() const;  // host bits cleared
  bool is_network() const { return network() == *this; }
  bool contains(const IpAddress& a) const;
  bool overlaps(const IpPrefix& other) const;
  std::string to_string() const;

  // IPv4 only: the highest address of the prefix (the broadcast address).
  Ipv4Address v4_last() const;

  auto operator<=>(const IpPrefix&) const = default;

 private:
  IpAddress address_;
  unsigned length_ = 0;
};

// An inclusive range of IPv4 addresses, "192.0.2.20-192.0.2.99".
struct Ipv4Range {
  Ipv4Address first;
  Ipv4Address last;

  static std::optional<Ipv4Range> parse(std::string_view text);
  std::uint64_t size() const { return std::uint64_t{last.to_uint()} - first.to_uint() + 1; }
  bool contains(Ipv4Address a) const { return first <= a && a <= last; }
  bool overlaps(const Ipv4Range& o) const { return first <= o.last && o.first <= last; }
  std::string to_string() const;
  auto operator<=>(const Ipv4Range&) const = default;
};

class MacAddress {
 public:
  constexpr MacAddress() = default;
  explicit MacAddress(const std::array<std::uint8_t, 6>& b) : bytes_(b) {}

  // "52:54:00:12:34:56" (also '-' separated), case-insensitive.
  static std::optional<MacAddress> parse(std::string_view text);

  const std::array<std::uint8_t, 6>& bytes() const { return bytes_; }
  std::string to_string() const;  // lower case, ':' separated
  auto operator<=>(const MacAddress&) const = default;

 private:
  std::array<std::uint8_t, 6> bytes_{};
};

}  // namespace pairgate
