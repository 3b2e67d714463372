#include "dhcp/lease.h"

#include <algorithm>
#include <array>

namespace pairgate::dhcp {

bool cap_hostname(std::string& hostname) {
  if (hostname.size() <= kMaxHostname) return false;
  hostname.resize(kMaxHostname);
  return true;
}

ClientKey ClientKey::from_client_id(std::span<const std::uint8_t> option61) {
  std::string key = "c";
  option61 = option61.first(std::min(option61.size(), kMaxClientId));
  key.append(reinterpret_cast<const char*>(option61.data()), option61.size());
  return ClientKey(std::move(key));
}

ClientKey ClientKey::from_hardware(std::uint8_t htype, std::span<const std::uint8_t> chaddr) {
  std::string key = "h";
  key.push_back(static_cast<char>(htype));
  chaddr = chaddr.first(std::min<std::size_t>(chaddr.size(), 16));
  key.append(reinterpret_cast<const char*>(chaddr.data()), chaddr.size());
  return ClientKey(std::move(key));
}

std::optional<ClientKey> ClientKey::from_bytes(std::string_view bytes) {
  if (bytes.empty()) return ClientKey();
  if (bytes[0] == 'c' && bytes.size() >= 2 && bytes.size() <= kMaxKey) return ClientKey(std::string(bytes));
  if (bytes[0] == 'h' && bytes.size() >= 2 && bytes.size() <= 18) return ClientKey(std::string(bytes));
  return std::nullopt;
}

std::string_view ClientKey::client_id() const {
  if (!is_client_id()) return {};
  return std::string_view(key_).substr(1);
}

std::uint64_t ClientKey::hash_of(std::string_view key) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (char c : key) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

std::string ClientKey::to_string() const {
  if (key_.empty()) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = is_client_id() ? "id:" : "hw:";
  for (std::size_t i = 1; i < key_.size(); ++i) {
    auto b = static_cast<std::uint8_t>(key_[i]);
    if (i > 1) out += ':';
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

namespace {
constexpr std::array<std::string_view, 5> kStateNames = {"offered", "leased", "released", "expired", "declined"};
}

std::string_view to_string(LeaseState s) { return kStateNames[static_cast<std::size_t>(s)]; }

std::optional<LeaseState> lease_state_from_string(std::string_view s) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i) {
    if (kStateNames[i] == s) return static_cast<LeaseState>(i);
  }
  return std::nullopt;
}

}  // namespace pairgate::dhcp
