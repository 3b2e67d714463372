// The DNS messages the AFTR lookup needs (RFC 1035 §4): one AAAA query
// (RFC 3596) and its response. No I/O: tunnel/dns_client does the UDP.
//
// parse_response checks syntax (header, bounds, names, compression) and
// meaning (the ID and question we sent, QR, opcode, TC, RCODE), follows a
// CNAME chain from the name asked for and returns the AAAA addresses at its
// end with the smallest TTL along the way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/address.h"

namespace pairgate::tunnel::dns {

inline constexpr std::uint16_t kTypeAaaa = 28;
inline constexpr std::uint16_t kTypeCname = 5;
inline constexpr std::uint16_t kClassIn = 1;

enum class Error {
  none,
  short_message,      // shorter than its header or a record says
  not_response,       // QR clear
  id_mismatch,        // not the ID we sent (RFC 5452 §4.3)
  bad_opcode,         // not a standard query
  truncated,          // TC set: the answer did not fit in UDP
  question_mismatch,  // not exactly our question echoed back
  bad_name,           // label too long, name over 255 bytes, bad label type
  pointer_loop,       // a compression pointer not pointing backwards
  bad_record,         // AAAA rdata not 16 bytes, CNAME rdata not one name
  name_error,         // RCODE 3, NXDOMAIN
  server_failure,     // any other non-zero RCODE
  no_data,            // NOERROR without an AAAA at the end of the chain
  cname_loop,         // a chain longer than 8 or going round
};
inline constexpr std::size_t kErrorKinds = 14;
std::string_view to_string(Error e);

// A recursive (RD) query for `name` (dotted, no trailing dot needed) of
// `qtype` class IN. Empty when the name is not a valid host name.
std::vector<std::byte> build_query(std::uint16_t id, std::string_view name, std::uint16_t qtype = kTypeAaaa);

struct Response {
  Error error = Error::none;
  std::uint8_t rcode = 0;
  std::vector<Ipv6Address> addresses;  // in the order of the answer section
  std::uint32_t ttl = 0;               // smallest TTL along the chain (RFC 2181 §8: > 2^31-1 counts as 0)
  std::string canonical_name;          // the end of the CNAME chain, lower case
};

// `name` and `id` as given to build_query.
Response parse_response(std::span<const std::byte> message, std::uint16_t id, std::string_view name);

// Lower-cased, without a trailing dot.
std::string normalise_name(std::string_view name);

}  // namespace pairgate::tunnel::dns
