// DHCP lease sync over the peer channel: a PeerUser that sends this
// router's durable lease changes to the other and hands the other's to the
// DHCP server. No I/O: it talks to the channel, the LeaseSource and the
// LeaseSink through their interfaces (core/peer_channel.h,
// core/lease_sync.h) and takes the time from a LoopClock.
//
// Each router numbers its changes in a stream (epoch, seq): the epoch is
// random per start, seq counts from 1. Unacknowledged changes stay in a
// bounded backlog. The receiver hands them to the sink and acknowledges a
// seq once the sink has them on disk. On each (re)connect both hellos say
// how far each has the other's stream on disk: the sender resends only what
// follows (a delta) when its backlog still holds all of it, else it sends
// every record it has (a full exchange), then what changed meanwhile, then
// "caught up". Once both directions are caught up and acknowledged, the
// pair is in sync.
//
// Before anything is sent, the hellos' scopes are compared: the same
// subnets on both routers and pools that do not overlap. Otherwise sync
// stops on both sides (each finds the same mismatch) until a reload or a
// reconnect with an agreeing configuration.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/lease_sync.h"
#include "core/peer_channel.h"
#include "peer/lease_wire.h"

namespace pairgate::peer {

enum class SyncState {
  waiting,  // no channel
  syncing,  // connected, catching up
  in_sync,  // both directions caught up and acknowledged
  stopped,  // the configurations do not agree (reason says how)
  off,      // neither router serves DHCP: nothing to sync
};
std::string_view to_string(SyncState s);

// Why a lease sync message was refused: one counter each.
enum class SyncReject : std::uint8_t {
  malformed,     // does not parse
  bad_record,    // a record with a field out of range
  wrong_epoch,   // for a stream that is not the one being followed
  gap,           // a batch that skips sequence numbers
  bad_ack,       // an acknowledgement of something never sent
  unexpected,    // a full-exchange part without its beginning
  stopped,       // received while sync is stopped by a mismatch
};
inline constexpr std::size_t kSyncRejectCount = 7;
std::string_view to_string(SyncReject r);

struct SyncCounters {
  std::uint64_t records_sent = 0, records_received = 0;
  std::uint64_t fulls_sent = 0, fulls_received = 0, deltas_sent = 0;
  std::uint64_t acks_sent = 0, acks_received = 0;
  std::uint64_t backlog_overflows = 0;
  std::array<std::uint64_t, kSyncRejectCount> rejected{};
};

class LeaseSync final : public PeerUser {
 public:
  struct Options {
    std::size_t max_backlog = 200'000;  // unacknowledged changes; more and the next exchange is full
    std::size_t message_bytes = 60 * 1024;  // a batch or full part is cut at about this size
    // Local changes and acknowledgements wait this long to travel together
    // (0: each durable batch is sent in its own loop turn, each ack at
    // once). The ACKs to clients never wait for it; it only bounds how many
    // messages (and their encryption, writes and wake-ups) the pair costs
    // per DORA under load.
    std::chrono::steady_clock::duration coalesce{0};
  };
  struct Event {
    std::string kind;  // "state", "rejected", "overflow"
    SyncState from = SyncState::waiting, to = SyncState::waiting;
    std::string message;
  };
  using Observer = std::function<void(const Event&)>;

  // `source` and `sink` may be null when this router serves no DHCP (the
  // scope is then empty). Attaches to the channel; detaches when destroyed.
  LeaseSync(PeerChannel& channel, LeaseSource* source, LeaseSink* sink, Scope scope, std::uint64_t epoch,
            LoopClock& clock, Options options, Observer observer);
  ~LeaseSync() override;
  LeaseSync(const LeaseSync&) = delete;
  LeaseSync& operator=(const LeaseSync&) = delete;

  // A reload changed what must agree; reconnecting is the channel's
  // business, the new scope goes into the next hello.
  void set_scope(Scope scope) { scope_ = std::move(scope); }
  // Sends what waits in the coalescing window (changes, an ack) now.
  void flush();

  // PeerUser.
  std::vector<std::byte> hello_part() override;
  void up(const PeerHello& peer) override;
  void message(PeerMessageType type, std::span<const std::byte> payload) override;
  void writable() override { pump(); }
  void down(std::string_view reason) override;

  SyncState state() const { return state_; }
  SteadyTime since() const { return since_; }
  const std::string& reason() const { return reason_; }
  std::size_t backlog() const { return backlog_.size(); }
  // How long the oldest change the peer has not acknowledged has waited
  // (zero when there is none): the sync's lag behind this router's disk.
  std::chrono::steady_clock::duration lag() const {
    return backlog_.empty() ? std::chrono::steady_clock::duration::zero() : clock_.now() - backlog_.front().at;
  }
  std::optional<std::chrono::milliseconds> last_catch_up() const { return last_catch_up_; }
  const SyncCounters& counters() const { return counters_; }
  Position sent_position() const { return {epoch_, next_seq_ - 1}; }
  Position acked_position() const { return {epoch_, acked_}; }
  Position applied_position() const { return {peer_epoch_, applied_}; }

 private:
  struct Entry {
    std::uint64_t seq;
    LeaseRecord record;
    SteadyTime at;  // when it was handed over after the local fdatasync
  };
  struct FullSend {
    std::size_t cursor = 0;
    bool begun = false;
  };

  void local(std::span<const LeaseRecord> records);
  void pump();
  bool flush_pending();
  bool send(PeerMessageType type, std::vector<std::byte> payload);
  void on_batch(std::span<const std::byte> payload);
  void on_full_begin(std::span<const std::byte> payload);
  void on_full_part(std::span<const std::byte> payload);
  void on_caught_up(std::span<const std::byte> payload);
  void on_ack(std::span<const std::byte> payload);
  void durable(std::uint64_t generation, std::uint64_t epoch, std::uint64_t seq, bool catch_up);
  void reject(SyncReject why, std::string detail);
  void update();
  void set_state(SyncState to, std::string reason);
  std::optional<std::string> mismatch(const Scope& theirs, const std::string& node) const;

  PeerChannel& channel_;
  LeaseSource* source_;
  LeaseSink* sink_;
  Scope scope_;
  LoopClock& clock_;
  Options options_;
  Observer observer_;

  // This router's stream.
  const std::uint64_t epoch_;
  std::uint64_t next_seq_ = 1;
  std::uint64_t acked_ = 0;
  std::deque<Entry> backlog_;  // seq > acked_, in order
  bool overflowed_ = false;    // the backlog was dropped: the next exchange is full

  // This connection, sending.
  bool connected_ = false;
  std::optional<FullSend> full_;
  std::uint64_t sent_through_ = 0;
  bool caught_up_sent_ = false;
  std::uint64_t caught_up_seq_ = 0;
  std::optional<std::pair<PeerMessageType, std::vector<std::byte>>> pending_;
  SteadyTime connected_at_{};

  // The other router's stream.
  std::uint64_t peer_epoch_ = 0;
  std::uint64_t applied_ = 0;   // on disk here
  std::uint64_t received_ = 0;  // handed to the sink
  bool full_pending_ = false;   // a full exchange is under way: applied_ waits for its end
  bool their_catch_up_ = false;
  std::uint64_t generation_ = 0;
  std::string peer_node_;

  SyncState state_ = SyncState::waiting;
  SteadyTime since_{};
  std::string reason_;
  std::optional<std::chrono::milliseconds> last_catch_up_;
  SyncCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  // The coalescing window (Options::coalesce).
  std::unique_ptr<Timer> send_timer_, ack_timer_;
  bool send_armed_ = false, ack_armed_ = false;
  void send_ack();
};

}  // namespace pairgate::peer
