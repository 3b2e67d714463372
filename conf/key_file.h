// The peer channel's shared secret file (peer.key_file): checked by
// --check and on reload, read by the peer module.
#pragma once

#include <cstdint>
#include <expected>
#include <string>
#include <vector>

namespace pairgate::conf {

inline constexpr std::size_t kMinKeyBytes = 32;
inline constexpr std::size_t kMaxKeyBytes = 4096;

// The secret: the file's bytes without trailing line ends ("\n", "\r\n"),
// so a file written by echo and one written by printf hold the same key.
// An error says why the file cannot be used: missing or unreadable, not a
// regular file, readable or writable by group or others (it must be 0600 or
// 0400), shorter than kMinKeyBytes or longer than kMaxKeyBytes. The caller
// wipes the secret once it has derived its keys.
// `min_bytes`: the shortest content accepted (other secrets than the peer's
// key, e.g. a tunnel's update_credentials, are shorter).
std::expected<std::vector<std::uint8_t>, std::string> read_key_file(const std::string& path,
                                                                    std::size_t min_bytes = kMinKeyBytes);

// Overwrites `bytes` with zeros in a way the compiler keeps.
void wipe(std::vector<std::uint8_t>& bytes);

}  // namespace pairgate::conf
