// The lease file's text records. No I/O here.
//
// One lease per line, later lines overriding earlier ones for the same
// address, each ending in a CRC-32 of the rest of the line so that a torn or
// damaged record is recognised and skipped, never misread:
//
//   lease 192.168.2.20 leased 1767225600 52:54:00:12:34:56 h0152540012345 printer local 1767225000 3f1c2a9b
//
// Fields: address, state, expires (seconds since the epoch), hardware
// address or "-", client key in hex or "-", hostname percent-escaped or "-",
// origin (local | peer: lease sync), cltt (the client's last transaction,
// seconds since the epoch; absent in files written before it, read as 0),
// CRC-32 (hex) of everything before its space.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dhcp/lease.h"

namespace pairgate::dhcp {

std::uint32_t crc32(std::string_view data);

// Appends one record, newline included.
void encode_record(const Lease& lease, std::string& out);

enum class RecordError { bad_crc, bad_field };
// A hostname or client identifier longer than the bounds of dhcp/lease.h
// (a file written before them, or by hand) is cut to them and `*truncated`
// set: the lease is kept.
std::optional<Lease> decode_record(std::string_view line, RecordError* error = nullptr, bool* truncated = nullptr);

// Every record of a file's contents, in order. A last line without its
// newline is torn (a write cut short) and reported apart from damaged ones.
struct Replay {
  std::vector<Lease> leases;  // the last record of each address, in file order
  std::size_t records = 0;
  std::size_t damaged = 0;   // complete lines that fail their CRC or do not parse
  std::size_t truncated = 0;  // records whose hostname or client identifier was cut to the bounds of dhcp/lease.h
  bool torn_tail = false;
  std::size_t good_bytes = 0;  // length of the prefix that ends with the last good record
};
Replay replay(std::string_view contents);

}  // namespace pairgate::dhcp
