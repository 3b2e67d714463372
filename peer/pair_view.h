// The pair view: each router sends its own `status` to the other over the
// peer channel (type block peer_types::pair_view_first), every few seconds
// and when the channel comes up; the last one received is what the control
// command `peer-status` answers (and the status page's right-hand side, via
// GET /api/peer). A peer that is silent keeps its last status, with its age.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/clock.h"
#include "core/commands.h"
#include "core/module.h"
#include "core/peer_channel.h"

namespace pairgate {

class PairView final : public Module, public PeerUser {
 public:
  static constexpr PeerMessageType kStatus = peer_types::pair_view_first;
  // One status is a few KiB (a status of 255 VRRP instances is ~150 KiB);
  // larger ones are not sent, and not accepted.
  static constexpr std::size_t kMaxStatus = 192 * 1024;

  struct Counters {
    std::uint64_t sent = 0;
    std::uint64_t received = 0;
    std::uint64_t too_large = 0;     // ours, not sent
    std::uint64_t send_refused = 0;  // queue full or channel down
    std::uint64_t rejected = 0;      // theirs: not a JSON object, too large, unknown type
  };

  // Attaches to `channel` and registers `peer-status` in `commands`; from
  // start() on, sends this router's `status` (run through `commands`) every
  // `every`. `clock` null: the steady clock of `io`.
  PairView(boost::asio::io_context& io, CommandRegistry& commands, PeerChannel& channel, LoopClock* clock = nullptr,
           std::chrono::milliseconds every = std::chrono::seconds(2));
  ~PairView() override;
  PairView(const PairView&) = delete;
  PairView& operator=(const PairView&) = delete;

  // {"node", "channel": "up"|"down", "age_s", "status"}; null age and status
  // before the first one arrives.
  nlohmann::json peer_status() const;
  const Counters& counters() const { return counters_; }

  // Module
  std::string_view name() const override { return "pair_view"; }
  void start(const conf::Config&) override;
  void reload(const conf::Config&, const conf::ConfigDiff&) override {}
  void stop(std::function<void()> done) override;
  void status(nlohmann::json& out) const override;

  // PeerUser
  void up(const PeerHello& peer) override;
  void message(PeerMessageType type, std::span<const std::byte> payload) override;
  void down(std::string_view reason) override;

 private:
  void send_now();
  void tick();
  nlohmann::json counters_json() const;

  CommandRegistry& commands_;
  PeerChannel& channel_;
  std::unique_ptr<LoopClock> own_clock_;
  LoopClock& clock_;
  std::chrono::milliseconds every_;
  std::unique_ptr<Timer> timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  bool up_ = false;
  bool running_ = false;
  std::string node_;
  std::optional<nlohmann::json> last_;
  SteadyTime last_at_{};
  Counters counters_;
};

}  // namespace pairgate
