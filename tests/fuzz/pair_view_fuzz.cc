// The pair view's receive path: any bytes as the peer's status message.
#include <cstddef>
#include <cstdint>

#include <boost/asio/io_context.hpp>

#include "core/commands.h"
#include "peer/pair_view.h"
#include "tests/support/manual_clock.h"

namespace {

class NoChannel final : public pairgate::PeerChannel {
 public:
  void attach(pairgate::PeerMessageType, std::string, pairgate::PeerUser&) override {}
  void detach(pairgate::PeerUser&) override {}
  bool send(pairgate::PeerMessageType, std::span<const std::byte>) override { return false; }
  bool is_up() const override { return false; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static boost::asio::io_context io;
  pairgate::CommandRegistry commands;
  pairgate::testing::ManualClock clock;
  NoChannel channel;
  pairgate::PairView view(io, commands, channel, &clock);
  view.message(pairgate::PairView::kStatus, std::as_bytes(std::span(reinterpret_cast<const char*>(data), size)));
  const auto s = view.peer_status();
  if (view.counters().received == 1 && !s["status"].is_object()) __builtin_trap();
  return 0;
}
