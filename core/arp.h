// RFC 826 ARP for Ethernet and IPv4, as AF_PACKET SOCK_DGRAM bodies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/address.h"

namespace pairgate::arp {

inline constexpr std::uint16_t kRequest = 1;
inline constexpr std::uint16_t kReply = 2;

struct Message {
  std::uint16_t op = kRequest;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;
  Ipv4Address target_ip;
};

std::vector<std::byte> build(const Message& m);
// nullopt unless Ethernet/IPv4 with the right lengths.
std::optional<Message> parse(std::span<const std::byte> body);

// A gratuitous ARP request: sender = target = `address` at `mac`.
inline std::vector<std::byte> gratuitous(const MacAddress& mac, Ipv4Address address) {
  return build({kRequest, mac, address, MacAddress{}, address});
}
// RFC 5227 §2.1.1 probe: "who has `target`?" from 0.0.0.0.
inline std::vector<std::byte> probe(const MacAddress& mac, Ipv4Address target) {
  return build({kRequest, mac, Ipv4Address{}, MacAddress{}, target});
}

}  // namespace pairgate::arp
