// libFuzzer target for the DNS client's response validation
// (tunnel/dns_client.cc hands every datagram from its server to
// dns::parse_response with the ID and name of the query it sent). Unlike
// dns_message, the name asked for comes from the input too: the first byte
// is its length, the next bytes the name, bytes 1..2 after it the ID, the
// rest the response.
//
// Whatever the name, the query the client would send, echoed back by a
// server with QR set and no answer, is accepted as "no data"; with another
// ID it is ignored (id_mismatch), as RFC 5452 §9.1 wants.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "tunnel/dns.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::tunnel::dns;
  if (size < 3) return 0;
  const std::size_t length = data[0];
  if (size < 3 + length) return 0;
  const std::string_view name(reinterpret_cast<const char*>(data) + 1, length);
  const auto id = static_cast<std::uint16_t>(data[1 + length] << 8 | data[2 + length]);
  std::span<const std::byte> rest(reinterpret_cast<const std::byte*>(data) + 3 + length, size - 3 - length);

  auto r = parse_response(rest, id, name);
  if ((r.error == Error::none) == r.addresses.empty()) std::abort();
  if (r.error == Error::none && r.canonical_name != normalise_name(r.canonical_name)) std::abort();

  std::vector<std::byte> echo = build_query(id, name);
  if (echo.empty()) return 0;
  if (echo.size() < 12 + 2 + 4) std::abort();
  echo[2] |= std::byte{0x80};  // QR: a response
  if (parse_response(echo, id, name).error != Error::no_data) std::abort();
  if (parse_response(echo, static_cast<std::uint16_t>(id + 1), name).error != Error::id_mismatch) std::abort();
  return 0;
}
