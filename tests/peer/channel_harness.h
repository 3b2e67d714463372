// Two peer::Channel engines joined by an in-memory network: Dial effects
// become accepted connections on the other side, Writes are delivered in
// order, Closes end the other side's connection. Time moves only when the
// test says so.
#pragma once

#include <gmock/gmock.h>

#include <map>
#include <string>

#include "peer/channel.h"

namespace pairgate::peer::testing {

inline Key test_key(std::string_view secret = "0123456789abcdef0123456789abcdef-shared") {
  return master_key(std::span(reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()));
}

// Nonces from a counter: deterministic, distinct.
inline Channel::Random counting_random() {
  auto n = std::make_shared<std::uint8_t>(0);
  return [n](std::span<std::uint8_t> out) {
    ++*n;
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(*n + i);
  };
}

class RecordingUser : public PeerUser {
 public:
  std::vector<std::byte> part;
  std::vector<std::string> log;  // "up primergy <part size>", "down <reason>", "msg <type> <text>", "writable"
  std::vector<std::byte> last_part;
  std::vector<std::byte> hello_part() override { return part; }
  void up(const PeerHello& p) override {
    last_part.assign(p.part.begin(), p.part.end());
    log.push_back("up " + p.node);
  }
  void message(PeerMessageType type, std::span<const std::byte> payload) override {
    log.push_back("msg " + std::to_string(type) + " " +
                  std::string(reinterpret_cast<const char*>(payload.data()), payload.size()));
  }
  void writable() override { log.push_back("writable"); }
  void down(std::string_view reason) override { log.push_back("down " + std::string(reason)); }
  std::size_t count(std::string_view prefix) const {
    return static_cast<std::size_t>(std::ranges::count_if(log, [&](const std::string& l) { return l.starts_with(prefix); }));
  }
};

struct Side {
  std::string node;
  IpAddress address;
  std::unique_ptr<Channel> channel;
  std::vector<Effect> seen;  // every effect, for the tests
};

class Net {
 public:
  TimePoint now{std::chrono::hours(1)};
  Side a, b;
  bool reachable = true;     // dials reach the other side
  bool deliver = true;       // writes are delivered (false: a silent partition)
  bool auto_written = true;  // writes complete at once

  Net(ChannelOptions oa = {}, ChannelOptions ob = {}, Key ka = test_key(), Key kb = test_key(),
      std::string na = "beagle", std::string nb = "primergy") {
    a = make(na, "198.51.100.2", "198.51.100.3", std::move(oa), ka);
    b = make(nb, "198.51.100.3", "198.51.100.2", std::move(ob), kb);
  }

  Side& other(Side& s) { return &s == &a ? b : a; }

  // Carries out effects until none are left.
  void pump() {
    for (int round = 0; round < 10000; ++round) {
      bool any = false;
      for (Side* s : {&a, &b}) {
        auto effects = s->channel->take_effects();
        any |= !effects.empty();
        for (auto& e : effects) {
          s->seen.push_back(e);
          apply(*s, e);
        }
      }
      if (!any) return;
    }
    FAIL() << "effects never settle";
  }

  void start() {
    a.channel->start(now);
    b.channel->start(now);
    pump();
  }

  // Advances time to each deadline in turn up to now + d.
  void advance(Duration d) {
    const TimePoint end = now + d;
    for (;;) {
      std::optional<TimePoint> next;
      for (Side* s : {&a, &b}) {
        auto t = s->channel->next_deadline();
        if (t && (!next || *t < *next)) next = *t;
      }
      if (!next || *next > end) break;
      now = std::max(now, *next);
      a.channel->tick(now);
      b.channel->tick(now);
      pump();
    }
    now = end;
    a.channel->tick(now);
    b.channel->tick(now);
    pump();
  }

  std::size_t links() const { return links_.size(); }
  // A connection from `from` that is not the peer: returns its id on a.
  template <class T>
  std::size_t count(const Side& s) const {
    return static_cast<std::size_t>(std::ranges::count_if(s.seen, [](const Effect& e) { return std::holds_alternative<T>(e); }));
  }
  // Cuts every link silently (no Close reaches either side).
  void cut_silently() { links_.clear(); }
  // Ends every link as if the other process died: both sides see closed().
  void kill(Side& s) {
    auto copy = links_;
    for (const auto& [k, v] : copy) {
      if (k.first == &s) other(s).channel->closed(v.second, now, "connection reset");
    }
    std::erase_if(links_, [&](const auto& e) { return e.first.first == &s || e.second.first == &s; });
    pump();
  }

 private:
  using End = std::pair<Side*, ConnId>;
  Side make(std::string node, std::string_view self, std::string_view peer, ChannelOptions o, const Key& k) {
    Side s;
    s.node = node;
    s.address = *IpAddress::parse(self);
    o.node = node;
    o.software = "test";
    o.master = k;
    o.peer = *IpAddress::parse(peer);
    s.channel = std::make_unique<Channel>(std::move(o), counting_random());
    return s;
  }

  void apply(Side& s, Effect& e) {
    Side& o = other(s);
    if (auto* d = std::get_if<Dial>(&e)) {
      if (!reachable) {
        s.channel->dial_failed(d->conn, now, "no route to host");
        return;
      }
      ConnId theirs = o.channel->accepted(s.address, now);
      if (theirs == 0) {
        s.channel->closed(d->conn, now, "connection reset");
        return;
      }
      links_[{&s, d->conn}] = {&o, theirs};
      links_[{&o, theirs}] = {&s, d->conn};
      s.channel->connected(d->conn, now);
    } else if (auto* w = std::get_if<Write>(&e)) {
      if (auto_written) s.channel->written(w->conn, w->bytes.size());
      auto it = links_.find({&s, w->conn});
      if (it == links_.end() || !deliver) return;
      it->second.first->channel->received(it->second.second, w->bytes, now);
    } else if (auto* c = std::get_if<Close>(&e)) {
      auto it = links_.find({&s, c->conn});
      if (it == links_.end()) return;
      const End peer = it->second;
      links_.erase(it);
      links_.erase(peer);
      peer.first->channel->closed(peer.second, now, "closed by the peer");
    }
  }

  std::map<End, End> links_;
};

}  // namespace pairgate::peer::testing
