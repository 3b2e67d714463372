#include "peer/channel.h"

#include <algorithm>
#include <stdexcept>

namespace pairgate::peer {

std::string_view to_string(LinkState s) {
  switch (s) {
    case LinkState::connecting: return "connecting";
    case LinkState::up: return "up";
    case LinkState::down: return "down";
  }
  return "?";
}

Channel::Channel(ChannelOptions options, Random random)
    : options_(std::move(options)), random_(std::move(random)), backoff_(options_.backoff_min) {}

Channel::~Channel() = default;

void Channel::attach(PeerMessageType first, std::string name, PeerUser& user) {
  if (first % peer_types::block != 0 || first < peer_types::lease_sync_first) {
    throw std::logic_error("peer: type block " + std::to_string(first) + " is not a user block");
  }
  if (users_.contains(first)) throw std::logic_error("peer: type block " + std::to_string(first) + " is taken");
  users_[first] = User{std::move(name), &user};
}

void Channel::detach(PeerUser& user) {
  std::erase_if(users_, [&](const auto& e) { return e.second.user == &user; });
}

std::vector<PeerUser*> Channel::users() const {
  std::vector<PeerUser*> out;
  for (const auto& [first, u] : users_) out.push_back(u.user);
  return out;
}

std::size_t Channel::queued() const {
  auto it = conns_.find(active_);
  return it == conns_.end() ? 0 : it->second.queued;
}

std::optional<Role> Channel::role() const {
  auto it = conns_.find(active_);
  if (it == conns_.end()) return std::nullopt;
  return it->second.session->role();
}

void Channel::start(TimePoint now) {
  running_ = true;
  since_ = now;
  backoff_ = options_.backoff_min;
  next_dial_ = now;
  tick(now);
}

void Channel::stop(TimePoint now) {
  running_ = false;
  next_dial_.reset();
  std::vector<ConnId> ids;
  for (const auto& [id, c] : conns_) ids.push_back(id);
  for (ConnId id : ids) drop(id, now, "stopping");
}

Channel::Conn& Channel::open(Role role, TimePoint now) {
  Nonce nonce{};
  random_(nonce);
  Conn c;
  c.id = next_id_++;
  c.session = std::make_unique<Session>(role, options_.master, nonce);
  c.opened = now;
  c.last_rx = now;
  return conns_[c.id] = std::move(c);
}

void Channel::dial(TimePoint now) {
  next_dial_.reset();
  Conn& c = open(Role::dialer, now);
  dialing_ = c.id;
  ++counters_.dials;
  effects_.push_back(Dial{c.id});
}

void Channel::connected(ConnId id, TimePoint) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  write(it->second, it->second.session->greeting());
}

void Channel::dial_failed(ConnId id, TimePoint now, const std::string& why) {
  if (!conns_.contains(id)) return;
  ++counters_.dial_failures;
  forget(id, now, "dial failed: " + why);
}

ConnId Channel::accepted(const IpAddress& from, TimePoint now) {
  if (!running_) return 0;
  if (from != options_.peer) {
    count(Reject::unknown_source, "a connection from " + from.to_string());
    return 0;
  }
  const auto pending = std::ranges::count_if(conns_, [](const auto& e) { return !e.second.established; });
  if (static_cast<std::size_t>(pending) >= options_.max_pending) {
    count(Reject::busy, std::to_string(pending) + " connections already in their handshake");
    return 0;
  }
  ++counters_.accepted;
  Conn& c = open(Role::listener, now);
  write(c, c.session->greeting());
  return c.id;
}

void Channel::write(Conn& c, std::vector<std::byte> bytes) {
  c.queued += bytes.size();
  counters_.bytes_out += bytes.size();
  effects_.push_back(Write{c.id, std::move(bytes)});
}

void Channel::seal(Conn& c, PeerMessageType type, std::span<const std::byte> payload) {
  std::vector<std::byte> out;
  out.reserve(payload.size() + 2 + kLengthBytes + kSealOverhead);
  c.session->seal(type, payload, out);
  if (c.established) ++counters_.messages_out;
  write(c, std::move(out));
}

bool Channel::send(PeerMessageType type, std::span<const std::byte> payload) {
  auto it = conns_.find(active_);
  if (it == conns_.end() || payload.size() > kMaxPayload) return false;
  Conn& c = it->second;
  if (c.queued >= options_.max_queue) {
    want_writable_ = true;
    return false;
  }
  seal(c, type, payload);
  return true;
}

void Channel::written(ConnId id, std::size_t bytes) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  it->second.queued -= std::min(bytes, it->second.queued);
  if (id == active_ && want_writable_ && it->second.queued <= options_.max_queue / 2) {
    want_writable_ = false;
    for (PeerUser* u : users()) {
      if (active_ != id) break;
      u->writable();
    }
  }
}

void Channel::received(ConnId id, std::span<const std::byte> bytes, TimePoint now) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = it->second;
  c.last_rx = now;
  counters_.bytes_in += bytes.size();
  Session::Received r = c.session->receive(bytes);
  if (!r.send.empty()) {
    write(c, std::move(r.send));
    // Keyed now: our hello is the first frame.
    Hello h{options_.node, options_.software, {}};
    for (const auto& [first, u] : users_) {
      auto part = u.user->hello_part();
      if (part.size() <= kMaxHelloPart && h.parts.size() < kMaxHelloParts) h.parts.push_back({first, std::move(part)});
    }
    seal(c, msg::hello, encode(h));
  }
  for (auto& f : r.frames) {
    if (!conns_.contains(id)) return;
    frame(conns_.at(id), std::move(f), now);
  }
  if (r.error && conns_.contains(id)) reject(conns_.at(id), *r.error, r.detail, now);
}

void Channel::frame(Conn& c, Frame f, TimePoint now) {
  if (!c.established) {
    if (f.type != msg::hello) {
      reject(c, Reject::bad_hello, "type " + std::to_string(f.type) + " before the hello", now);
      return;
    }
    auto hello = parse_hello(f.payload);
    if (!hello) {
      reject(c, hello.error(), "hello", now);
      return;
    }
    if (hello->node == options_.node) {
      reject(c, Reject::same_node, "the peer is also named " + hello->node, now);
      return;
    }
    establish(c, std::move(*hello), now);
    return;
  }
  ++counters_.messages_in;
  if (c.id == active_) last_message_ = now;
  switch (f.type) {
    case msg::hello:
      count(Reject::bad_message, "a second hello");
      return;
    case msg::ping:
      if (auto t = parse_token(f.payload)) {
        seal(c, msg::pong, encode_token(*t));
      } else {
        count(Reject::bad_message, "ping");
      }
      return;
    case msg::pong:
      if (auto t = parse_token(f.payload); !t) {
        count(Reject::bad_message, "pong");
      } else if (c.ping_out && c.ping_out->first == *t) {
        if (c.id == active_) rtt_ = now - c.ping_out->second;
        c.ping_out.reset();
      }
      return;
    default:
      break;
  }
  const auto block = static_cast<PeerMessageType>(f.type - f.type % peer_types::block);
  auto u = users_.find(block);
  if (u == users_.end() || c.id != active_) {
    count(Reject::unknown_type, "type " + std::to_string(f.type));
    return;
  }
  u->second.user->message(f.type, f.payload);
}

const std::string& Channel::dialer_of(const Conn& c) const {
  return c.session->role() == Role::dialer ? options_.node : c.peer_node;
}

void Channel::establish(Conn& c, Hello hello, TimePoint now) {
  c.established = true;
  c.peer_node = hello.node;
  c.next_ping = now + options_.ping_interval;
  ++counters_.sessions;
  if (c.id == dialing_) dialing_ = 0;
  backoff_ = options_.backoff_min;
  if (active_ != 0) {
    // Two connections: keep the one dialed by the node whose name sorts
    // first, the same choice on both routers; between two dialed by the
    // same router, the newer.
    const Conn& old = conns_.at(active_);
    const std::string& first = std::min(options_.node, c.peer_node);
    const bool keep_old = dialer_of(old) == first && dialer_of(c) != first;
    ++counters_.replaced;
    if (keep_old) {
      drop(c.id, now, "the connection dialed by " + first + " is kept");
      return;
    }
    const ConnId loser = active_;
    active_ = 0;
    for (PeerUser* u : users()) u->down("replaced by a newer connection");
    drop(loser, now, "replaced by a newer connection");
  }
  active_ = c.id;
  peer_node_ = hello.node;
  want_writable_ = false;
  next_dial_.reset();
  rtt_.reset();
  last_message_ = now;
  set_state(LinkState::up, now, "connected to " + hello.node + " (" + std::string(to_string(c.session->role())) + ")");
  for (const auto& [first, u] : std::map<PeerMessageType, User>(users_)) {
    if (active_ != c.id) break;
    PeerHello ph{hello.node, hello.software, {}};
    for (const auto& p : hello.parts) {
      if (p.block == first) ph.part = p.bytes;
    }
    u.user->up(ph);
  }
}

void Channel::count(Reject why, std::string detail) {
  ++counters_.rejected[static_cast<std::size_t>(why)];
  effects_.push_back(Rejected{why, std::move(detail)});
}

void Channel::reject(Conn& c, Reject why, std::string detail, TimePoint now) {
  const std::string reason = std::string(to_string(why)) + (detail.empty() ? "" : ": " + detail);
  count(why, std::move(detail));
  drop(c.id, now, reason);
}

void Channel::drop(ConnId id, TimePoint now, const std::string& why) {
  if (!conns_.contains(id)) return;
  effects_.push_back(Close{id});
  forget(id, now, why);
}

void Channel::forget(ConnId id, TimePoint now, const std::string& why) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  const bool established = it->second.established;
  conns_.erase(it);
  if (id == dialing_) {
    dialing_ = 0;
    if (!established && running_ && active_ == 0) {
      next_dial_ = now + backoff_;
      backoff_ = std::min(backoff_ * 2, options_.backoff_max);
    }
  }
  if (id != active_) return;
  active_ = 0;
  want_writable_ = false;
  rtt_.reset();
  down_reason_ = why;
  set_state(LinkState::down, now, why);
  for (PeerUser* u : users()) {
    if (active_ != 0) break;
    u->down(why);
  }
  if (running_ && !dialing_ && !next_dial_) {
    next_dial_ = now + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.backoff_max);
  }
}

void Channel::closed(ConnId id, TimePoint now, const std::string& why) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  if (it->second.session->partial()) {
    count(Reject::truncated, std::to_string(it->second.session->buffered()) + " bytes of an unfinished frame");
  }
  forget(id, now, why);
}

void Channel::set_state(LinkState to, TimePoint now, std::string reason) {
  if (to == state_ && to != LinkState::up) return;
  effects_.push_back(StateChanged{state_, to, std::move(reason), peer_node_});
  state_ = to;
  since_ = now;
}

void Channel::tick(TimePoint now) {
  std::vector<ConnId> late, dead;
  for (const auto& [id, c] : conns_) {
    if (!c.established && now >= c.opened + options_.handshake_timeout) late.push_back(id);
    if (c.established && now >= c.last_rx + options_.dead_after) dead.push_back(id);
  }
  for (ConnId id : late) {
    if (!conns_.contains(id)) continue;
    if (id == dialing_ && !conns_.at(id).session->keyed()) {
      // Our own dial that got no greeting: the peer is not there.
      ++counters_.dial_failures;
      drop(id, now, "no answer within the handshake time");
      continue;
    }
    reject(conns_.at(id), Reject::handshake_timeout, "no hello within the handshake time", now);
  }
  for (ConnId id : dead) {
    if (!conns_.contains(id)) continue;
    ++counters_.timeouts;
    drop(id, now, "nothing heard for " + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                             options_.dead_after).count()) + " ms");
  }
  if (auto it = conns_.find(active_); it != conns_.end() && now >= it->second.next_ping) {
    Conn& c = it->second;
    const std::uint64_t token = next_token_++;
    c.ping_out = {token, now};
    c.next_ping = now + options_.ping_interval;
    seal(c, msg::ping, encode_token(token));
  }
  if (running_ && active_ == 0 && dialing_ == 0 && next_dial_ && now >= *next_dial_) dial(now);
}

std::optional<TimePoint> Channel::next_deadline() const {
  std::optional<TimePoint> at;
  auto consider = [&](TimePoint t) {
    if (!at || t < *at) at = t;
  };
  for (const auto& [id, c] : conns_) {
    if (!c.established) consider(c.opened + options_.handshake_timeout);
    if (c.established) consider(c.last_rx + options_.dead_after);
    if (id == active_) consider(c.next_ping);
  }
  if (running_ && active_ == 0 && dialing_ == 0 && next_dial_) consider(*next_dial_);
  return at;
}

}  // namespace pairgate::peer
