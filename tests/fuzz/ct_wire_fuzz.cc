// The state sync messages as the peer sends them (ctsync/wire.h), and the
// engine taking them as a backup: nothing may crash, a parse that succeeds
// must encode back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "ctsync/engine.h"
#include "ctsync/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace pairgate;
  using namespace pairgate::ctsync;
  if (size == 0) return 0;
  const auto bytes = std::as_bytes(std::span(data + 1, size - 1));
  if (auto c = parse_changes(bytes)) {
    const auto again = encode_changes(*c);
    if (again.size() != bytes.size() || !std::equal(again.begin(), again.end(), bytes.begin())) std::abort();
  }
  (void)parse_dump_request(bytes);
  Engine e({.max_entries = 64}, SteadyTime{});
  e.channel_up(SteadyTime{});
  if (data[0] & 1) e.set_role(Role::master, SteadyTime{});
  e.message(static_cast<PeerMessageType>(msg::changes + (data[0] >> 1) % 3), bytes, SteadyTime{});
  e.tick(SteadyTime{} + std::chrono::seconds(data[0]));
  e.set_role((data[0] & 1) ? Role::backup : Role::master, SteadyTime{} + std::chrono::seconds(1));
  return 0;
}
