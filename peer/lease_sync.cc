#include "peer/lease_sync.h"

#include <algorithm>

namespace pairgate::peer {

namespace {

constexpr std::array<std::string_view, kSyncRejectCount> kRejectNames = {
    "malformed", "bad_record", "wrong_epoch", "gap", "bad_ack", "unexpected", "stopped"};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + i;
  return out;
}

}  // namespace

std::string_view to_string(SyncState s) {
  switch (s) {
    case SyncState::waiting: return "waiting";
    case SyncState::syncing: return "syncing";
    case SyncState::in_sync: return "in-sync";
    case SyncState::stopped: return "stopped";
    case SyncState::off: return "off";
  }
  return "?";
}

std::string_view to_string(SyncReject r) { return kRejectNames[static_cast<std::size_t>(r)]; }

LeaseSync::LeaseSync(PeerChannel& channel, LeaseSource* source, LeaseSink* sink, Scope scope, std::uint64_t epoch,
                     LoopClock& clock, Options options, Observer observer)
    : channel_(channel),
      source_(source),
      sink_(sink),
      scope_(std::move(scope)),
      clock_(clock),
      options_(options),
      observer_(std::move(observer)),
      epoch_(epoch == 0 ? 1 : epoch),
      since_(clock.now()) {
  if (source_) {
    source_->subscribe_durable([this, alive = std::weak_ptr<bool>(alive_)](std::span<const LeaseRecord> records) {
      if (alive.lock()) local(records);
    });
  }
  channel_.attach(peer_types::lease_sync_first, "lease_sync", *this);
}

LeaseSync::~LeaseSync() {
  *alive_ = false;
  channel_.detach(*this);
}

std::vector<std::byte> LeaseSync::hello_part() {
  LeaseHello h;
  h.epoch = epoch_;
  h.known_epoch = peer_epoch_;
  h.known_seq = full_pending_ ? 0 : applied_;
  h.scope = scope_;
  return encode(h);
}

std::optional<std::string> LeaseSync::mismatch(const Scope& theirs, const std::string& node) const {
  std::vector<std::string> only_here, only_there;
  for (const auto& s : scope_.subnets) {
    if (std::ranges::find(theirs.subnets, s) == theirs.subnets.end()) only_here.push_back(s.to_string());
  }
  for (const auto& s : theirs.subnets) {
    if (std::ranges::find(scope_.subnets, s) == scope_.subnets.end()) only_there.push_back(s.to_string());
  }
  if (!only_here.empty() || !only_there.empty()) {
    std::string why = "the subnets differ:";
    if (!only_here.empty()) why += " only here " + join(only_here) + ";";
    if (!only_there.empty()) why += " only on " + node + " " + join(only_there) + ";";
    why.pop_back();
    return why;
  }
  for (const auto& mine : scope_.pools) {
    for (const auto& other : theirs.pools) {
      if (mine.overlaps(other)) {
        return "pool " + mine.to_string() + " overlaps " + node + "'s pool " + other.to_string() +
               " (each router needs its own part of the range)";
      }
    }
  }
  return std::nullopt;
}

void LeaseSync::up(const PeerHello& peer) {
  connected_ = true;
  connected_at_ = clock_.now();
  peer_node_ = peer.node;
  full_.reset();
  pending_.reset();
  caught_up_sent_ = false;
  their_catch_up_ = false;
  std::optional<LeaseHello> theirs;
  if (!peer.part.empty()) {
    auto h = parse_lease_hello(peer.part);
    if (!h) {
      reject(h.error() == LeaseWireError::bad_record ? SyncReject::bad_record : SyncReject::malformed, "hello");
      set_state(SyncState::stopped, peer.node + "'s lease sync hello does not parse");
      return;
    }
    theirs = std::move(*h);
  }
  const Scope none;
  if (scope_.subnets.empty() && (!theirs || theirs->scope.subnets.empty())) {
    set_state(SyncState::off, "neither router serves DHCP");
    return;
  }
  if (auto why = mismatch(theirs ? theirs->scope : none, peer.node)) {
    set_state(SyncState::stopped, *why);
    return;
  }
  set_state(SyncState::syncing, "connected to " + peer.node);
  // Where the other router stands in our stream.
  const std::uint64_t known = theirs->known_epoch == epoch_ ? theirs->known_seq : 0;
  const std::uint64_t last = next_seq_ - 1;
  const bool delta = known > 0 && known <= last && !overflowed_ && known >= acked_ &&
                     (backlog_.empty() ? known == last : backlog_.front().seq <= known + 1);
  if (delta) {
    acked_ = known;
    while (!backlog_.empty() && backlog_.front().seq <= known) backlog_.pop_front();
    sent_through_ = known;
    ++counters_.deltas_sent;
  } else {
    full_ = FullSend{};
    sent_through_ = last;
    overflowed_ = false;
    // The full exchange carries every record; what it covers need not wait
    // in the backlog.
    backlog_.clear();
    ++counters_.fulls_sent;
  }
  // Their stream: they resend from what we have on disk.
  received_ = applied_;
  pump();
}

void LeaseSync::down(std::string_view reason) {
  connected_ = false;
  full_.reset();
  pending_.reset();
  if (state_ == SyncState::off || state_ == SyncState::stopped || state_ == SyncState::syncing ||
      state_ == SyncState::in_sync) {
    set_state(SyncState::waiting, std::string(reason));
  }
}

void LeaseSync::local(std::span<const LeaseRecord> records) {
  const SteadyTime now = clock_.now();
  for (const auto& r : records) backlog_.push_back(Entry{next_seq_++, r, now});
  if (backlog_.size() > options_.max_backlog) {
    // The other router is not taking them: drop them all and send
    // everything once it does.
    backlog_.clear();
    overflowed_ = true;
    ++counters_.backlog_overflows;
    if (observer_) {
      observer_(Event{"overflow", state_, state_,
                      "more than " + std::to_string(options_.max_backlog) +
                          " changes unacknowledged; they are dropped and the next exchange is full"});
    }
    if (connected_ && state_ != SyncState::stopped && state_ != SyncState::off) {
      full_ = FullSend{};
      sent_through_ = next_seq_ - 1;
      caught_up_sent_ = false;
      overflowed_ = false;
      ++counters_.fulls_sent;
      set_state(SyncState::syncing, "backlog overflowed");
    }
  }
  if (options_.coalesce.count() == 0 || full_) {
    pump();
    return;
  }
  if (send_armed_) return;
  if (!send_timer_) send_timer_ = clock_.make_timer();
  send_armed_ = true;
  clock_.arm_after(*send_timer_, options_.coalesce, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.lock()) return;
    send_armed_ = false;
    pump();
  });
}

bool LeaseSync::send(PeerMessageType type, std::vector<std::byte> payload) {
  if (channel_.send(type, payload)) return true;
  pending_.emplace(type, std::move(payload));
  return false;
}

bool LeaseSync::flush_pending() {
  if (!pending_) return true;
  if (!channel_.send(pending_->first, pending_->second)) return false;
  pending_.reset();
  return true;
}

void LeaseSync::pump() {
  if (!connected_ || state_ == SyncState::stopped || state_ == SyncState::off) return;
  if (!flush_pending()) return;
  // A full exchange first: every record, read from the source in pieces.
  while (full_) {
    if (!full_->begun) {
      full_->begun = true;
      if (!send(lease_msg::full_begin, encode(Position{epoch_, sent_through_}))) return;
      continue;
    }
    std::vector<LeaseRecord> records;
    std::optional<std::size_t> next;
    std::size_t bytes = 0;
    std::size_t cursor = full_->cursor;
    // Read in small steps until the message is about message_bytes.
    while (source_ && bytes < options_.message_bytes && records.size() + 64 <= kMaxRecordsPerMessage) {
      const std::size_t before = records.size();
      next = source_->snapshot(cursor, 64, records);
      for (std::size_t i = before; i < records.size(); ++i) {
        bytes += 40 + records[i].client.size() + records[i].hostname.size();
      }
      if (!next) break;
      cursor = *next;
    }
    if (!source_) next.reset();
    if (next) {
      full_->cursor = cursor;
    } else {
      full_.reset();
    }
    if (!records.empty()) {
      counters_.records_sent += records.size();
      if (!send(lease_msg::full_part, encode_records(records))) return;
    }
  }
  // Then the changes not yet sent, in seq order.
  auto it = std::ranges::lower_bound(backlog_, sent_through_ + 1, {}, &Entry::seq);
  while (it != backlog_.end()) {
    Batch b{epoch_, it->seq, {}};
    std::size_t bytes = 0;
    while (it != backlog_.end() && bytes < options_.message_bytes && b.records.size() < kMaxRecordsPerMessage) {
      bytes += 40 + it->record.client.size() + it->record.hostname.size();
      b.records.push_back(it->record);
      ++it;
    }
    sent_through_ = b.first_seq + b.records.size() - 1;
    counters_.records_sent += b.records.size();
    if (!send(lease_msg::batch, encode(b))) return;
  }
  if (!caught_up_sent_) {
    caught_up_sent_ = true;
    caught_up_seq_ = sent_through_;
    send(lease_msg::caught_up, encode(Position{epoch_, sent_through_}));
  }
}

void LeaseSync::message(PeerMessageType type, std::span<const std::byte> payload) {
  if (state_ == SyncState::stopped || state_ == SyncState::off) {
    reject(SyncReject::stopped, "type " + std::to_string(type));
    return;
  }
  switch (type) {
    case lease_msg::batch: on_batch(payload); break;
    case lease_msg::full_begin: on_full_begin(payload); break;
    case lease_msg::full_part: on_full_part(payload); break;
    case lease_msg::caught_up: on_caught_up(payload); break;
    case lease_msg::ack: on_ack(payload); break;
    default: reject(SyncReject::malformed, "unknown lease sync type " + std::to_string(type)); break;
  }
}

void LeaseSync::reject(SyncReject why, std::string detail) {
  ++counters_.rejected[static_cast<std::size_t>(why)];
  if (observer_) observer_(Event{"rejected", state_, state_, std::string(to_string(why)) + ": " + detail});
}

void LeaseSync::on_batch(std::span<const std::byte> payload) {
  auto b = parse_batch(payload);
  if (!b) {
    reject(b.error() == LeaseWireError::bad_record ? SyncReject::bad_record : SyncReject::malformed, "batch");
    return;
  }
  if (b->epoch != peer_epoch_) {
    reject(SyncReject::wrong_epoch, "batch of stream " + std::to_string(b->epoch));
    return;
  }
  const std::uint64_t last = b->first_seq + b->records.size() - 1;
  if (last <= received_) return;  // resent after a reconnect: already here
  if (b->first_seq > received_ + 1) {
    reject(SyncReject::gap, "batch from " + std::to_string(b->first_seq) + " after " + std::to_string(received_));
    return;
  }
  const std::size_t skip = received_ + 1 - b->first_seq;
  received_ = last;
  counters_.records_received += b->records.size() - skip;
  if (!sink_) {
    durable(generation_, b->epoch, last, false);
    return;
  }
  sink_->apply(std::span(b->records).subspan(skip),
               [this, alive = std::weak_ptr<bool>(alive_), g = generation_, e = b->epoch, last] {
                 if (alive.lock()) durable(g, e, last, false);
               });
}

void LeaseSync::on_full_begin(std::span<const std::byte> payload) {
  auto p = parse_position(payload);
  if (!p) {
    reject(SyncReject::malformed, "full begin");
    return;
  }
  ++generation_;
  ++counters_.fulls_received;
  peer_epoch_ = p->epoch;
  received_ = p->seq;
  applied_ = 0;
  full_pending_ = true;
  their_catch_up_ = false;
  update();
}

void LeaseSync::on_full_part(std::span<const std::byte> payload) {
  if (!full_pending_) {
    reject(SyncReject::unexpected, "full part");
    return;
  }
  auto records = parse_records(payload);
  if (!records) {
    reject(records.error() == LeaseWireError::bad_record ? SyncReject::bad_record : SyncReject::malformed, "full part");
    return;
  }
  counters_.records_received += records->size();
  if (sink_) sink_->apply(*records, [] {});
}

void LeaseSync::on_caught_up(std::span<const std::byte> payload) {
  auto p = parse_position(payload);
  if (!p) {
    reject(SyncReject::malformed, "caught up");
    return;
  }
  if (p->epoch != peer_epoch_) {
    reject(SyncReject::wrong_epoch, "caught up for stream " + std::to_string(p->epoch));
    return;
  }
  if (p->seq != received_) {
    reject(SyncReject::gap, "caught up at " + std::to_string(p->seq) + ", received " + std::to_string(received_));
    return;
  }
  // Everything handed to the sink so far is on disk when this runs.
  auto done = [this, alive = std::weak_ptr<bool>(alive_), g = generation_, e = p->epoch, s = p->seq] {
    if (alive.lock()) durable(g, e, s, true);
  };
  if (sink_) {
    sink_->apply({}, std::move(done));
  } else {
    done();
  }
}

void LeaseSync::durable(std::uint64_t generation, std::uint64_t epoch, std::uint64_t seq, bool catch_up) {
  if (epoch != peer_epoch_ || generation != generation_) return;
  if (full_pending_ && !catch_up) return;  // a full exchange counts only once it is all on disk
  if (catch_up) {
    full_pending_ = false;
    their_catch_up_ = true;
  }
  if (seq <= applied_ && !catch_up) return;
  applied_ = std::max(applied_, seq);
  // A catch-up is acknowledged at once (it decides in-sync); a batch's ack
  // may wait for the window and cover the batches after it.
  if (options_.coalesce.count() == 0 || catch_up) {
    send_ack();
  } else if (!ack_armed_) {
    if (!ack_timer_) ack_timer_ = clock_.make_timer();
    ack_armed_ = true;
    clock_.arm_after(*ack_timer_, options_.coalesce, [this, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.lock()) return;
      ack_armed_ = false;
      send_ack();
    });
  }
  update();
}

void LeaseSync::flush() {
  if (send_armed_) {
    send_timer_->cancel();
    send_armed_ = false;
  }
  if (ack_armed_) {
    ack_timer_->cancel();
    ack_armed_ = false;
    send_ack();
  }
  pump();
}

void LeaseSync::send_ack() {
  if (connected_ && channel_.send(lease_msg::ack, encode(Position{peer_epoch_, applied_}))) ++counters_.acks_sent;
}

void LeaseSync::on_ack(std::span<const std::byte> payload) {
  auto p = parse_position(payload);
  if (!p) {
    reject(SyncReject::malformed, "ack");
    return;
  }
  if (p->epoch != epoch_) {
    reject(SyncReject::wrong_epoch, "ack for stream " + std::to_string(p->epoch));
    return;
  }
  if (p->seq >= next_seq_) {
    reject(SyncReject::bad_ack, "ack of " + std::to_string(p->seq) + ", numbered " + std::to_string(next_seq_ - 1));
    return;
  }
  ++counters_.acks_received;
  acked_ = std::max(acked_, p->seq);
  while (!backlog_.empty() && backlog_.front().seq <= acked_) backlog_.pop_front();
  update();
}

void LeaseSync::update() {
  if (!connected_ || state_ == SyncState::stopped || state_ == SyncState::off) return;
  const bool ours = caught_up_sent_ && !full_ && acked_ >= caught_up_seq_;
  if (ours && their_catch_up_ && state_ == SyncState::syncing) {
    last_catch_up_ = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - connected_at_);
    set_state(SyncState::in_sync, "caught up both ways in " + std::to_string(last_catch_up_->count()) + " ms");
  }
}

void LeaseSync::set_state(SyncState to, std::string reason) {
  if (to == state_ && reason == reason_) return;
  const SyncState from = state_;
  state_ = to;
  since_ = clock_.now();
  reason_ = reason;
  if (observer_) observer_(Event{"state", from, to, std::move(reason)});
}

}  // namespace pairgate::peer
