// DHCPv4 messages (RFC 2131 §2, RFC 2132) as bytes and back. No I/O here.
//
// Options are read from the options field and, when option 52 says so,
// from `file` and `sname`, in that order; repeated instances of one option
// are concatenated (RFC 3396 §5). Building splits options longer than 255
// bytes into instances and overflows into `file` and `sname` (option 52)
// when the options field is full, within the client's maximum message size;
// the relay agent information option (82) always stays in the options field.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"

namespace pairgate::dhcp {

inline constexpr std::uint16_t kServerPort = 67;
inline constexpr std::uint16_t kClientPort = 68;
inline constexpr std::size_t kMinMessage = 576;  // RFC 2131 §2: every client accepts 576-byte IP datagrams
inline constexpr std::size_t kIpUdpHeaders = 28;

// RFC 2132 §9.6 message types.
enum class MessageType : std::uint8_t {
  discover = 1, offer = 2, request = 3, decline = 4, ack = 5, nak = 6, release = 7, inform = 8
};
std::string_view to_string(MessageType t);

namespace option {
inline constexpr std::uint8_t pad = 0;
inline constexpr std::uint8_t subnet_mask = 1;
inline constexpr std::uint8_t routers = 3;
inline constexpr std::uint8_t domain_name_servers = 6;
inline constexpr std::uint8_t host_name = 12;
inline constexpr std::uint8_t domain_name = 15;
inline constexpr std::uint8_t interface_mtu = 26;
inline constexpr std::uint8_t broadcast_address = 28;
inline constexpr std::uint8_t ntp_servers = 42;
inline constexpr std::uint8_t requested_address = 50;
inline constexpr std::uint8_t lease_time = 51;
inline constexpr std::uint8_t overload = 52;
inline constexpr std::uint8_t message_type = 53;
inline constexpr std::uint8_t server_id = 54;
inline constexpr std::uint8_t parameter_request_list = 55;
inline constexpr std::uint8_t message = 56;
inline constexpr std::uint8_t max_message_size = 57;
inline constexpr std::uint8_t renewal_time = 58;
inline constexpr std::uint8_t rebinding_time = 59;
inline constexpr std::uint8_t client_id = 61;
inline constexpr std::uint8_t relay_agent_information = 82;
inline constexpr std::uint8_t classless_static_routes = 121;
inline constexpr std::uint8_t end = 255;
}  // namespace option

// Each reason a message is refused, with its counter name.
enum class ParseError {
  truncated,          // shorter than the fixed header and the magic cookie
  bad_magic,          // RFC 2131 §3: the cookie is not 99.130.83.99
  bad_op,             // op is neither BOOTREQUEST nor BOOTREPLY
  bad_hlen,           // hlen above 16
  option_overrun,     // an option's length runs past its field
  bad_overload,       // option 52 is not 1, 2 or 3, or not one byte
};
std::string_view to_string(ParseError e);

struct Message {
  std::uint8_t op = 1;  // 1 BOOTREQUEST, 2 BOOTREPLY
  std::uint8_t htype = 1;
  std::uint8_t hlen = 6;
  std::uint8_t hops = 0;
  std::uint32_t xid = 0;
  std::uint16_t secs = 0;
  std::uint16_t flags = 0;  // bit 15: broadcast
  Ipv4Address ciaddr, yiaddr, siaddr, giaddr;
  std::array<std::uint8_t, 16> chaddr{};
  std::string sname;  // when not used for options
  std::string file;   // when not used for options
  // Options by code, instances concatenated; the order of first appearance
  // is kept in `order` so a reply can mirror it.
  std::map<std::uint8_t, std::vector<std::uint8_t>> options;
  std::vector<std::uint8_t> order;

  static constexpr std::uint16_t kBroadcast = 0x8000;
  bool broadcast() const { return (flags & kBroadcast) != 0; }

  // Typed views; nullopt when absent or malformed.
  std::optional<MessageType> type() const;
  std::optional<Ipv4Address> address_option(std::uint8_t code) const;
  std::optional<std::uint32_t> u32_option(std::uint8_t code) const;
  std::optional<std::uint16_t> max_message_size() const;  // option 57, at least 576
  std::vector<std::uint8_t> parameter_request_list() const;
  std::optional<MacAddress> mac() const;  // htype 1, hlen 6

  void set(std::uint8_t code, std::vector<std::uint8_t> data);
  void set_u32(std::uint8_t code, std::uint32_t v);
  void set_address(std::uint8_t code, Ipv4Address a);
  void set_addresses(std::uint8_t code, const std::vector<Ipv4Address>& a);
};

std::expected<Message, ParseError> parse(std::span<const std::byte> data);

// Encodes `m`. The result is at most `max_size` bytes of DHCP message
// (`max_size` counts the message alone: a client's option 57 less the IP and
// UDP headers). Options that do not fit even with `file` and `sname` used are
// left out and named in `dropped`.
struct Encoded {
  std::vector<std::byte> bytes;
  std::vector<std::uint8_t> dropped;
};
Encoded build(const Message& m, std::size_t max_size = kMinMessage - kIpUdpHeaders);
// The same into `out`, whose vectors keep their capacity from one call to
// the next: a caller that keeps one Encoded allocates nothing per message
// once they have grown.
void build(const Message& m, std::size_t max_size, Encoded& out);

}  // namespace pairgate::dhcp
