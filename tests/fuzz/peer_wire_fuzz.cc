// libFuzzer target for peer/wire and peer/session: the first byte picks the
// parser (0 greeting, 1 hello, 2 ping token, 3 a listener session fed the
// rest in pieces whose sizes come from the input). A parsed hello must
// encode to the bytes it came from; a session must never yield a frame from
// bytes that were not sealed with its key.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "peer/session.h"
#include "peer/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate::peer;
  if (size == 0) return 0;
  const auto rest = std::as_bytes(std::span(data + 1, size - 1));
  switch (data[0] % 4) {
    case 0: {
      auto g = parse_greeting(rest);
      if (g && encode(*g) != std::vector<std::byte>(rest.begin(), rest.end())) std::abort();
      break;
    }
    case 1: {
      auto h = parse_hello(rest);
      if (h && encode(*h) != std::vector<std::byte>(rest.begin(), rest.end())) std::abort();
      break;
    }
    case 2: {
      auto t = parse_token(rest);
      if (t && encode_token(*t) != std::vector<std::byte>(rest.begin(), rest.end())) std::abort();
      break;
    }
    default: {
      static const Key key = [] {
        const std::uint8_t secret[32] = {1, 2, 3};
        return master_key(secret);
      }();
      Session s(Role::listener, key, Nonce{});
      std::size_t at = 0;
      while (at < rest.size()) {
        const std::size_t n = std::min<std::size_t>(rest.size() - at, 1 + std::to_integer<std::size_t>(rest[at]) * 3);
        auto r = s.receive(rest.subspan(at, n));
        if (!r.frames.empty()) std::abort();  // nothing here was sealed with the key
        if (r.error) break;
        at += n;
      }
      break;
    }
  }
  return 0;
}
