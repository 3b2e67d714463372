// The peer channel's state machine: connections, the handshake, which
// connection is the channel, keepalive, backoff, and the users' message
// types. Time is an input and there is no I/O: the adapter (peer/service)
// reports what its sockets did and carries out the effects; next_deadline()
// says when to call tick().
//
// Both routers listen and both dial, so a restarted router is back without
// waiting for the other's backoff. When both connections complete the
// handshake, the one dialed by the router whose node name sorts first is
// kept, on both sides alike, whatever the order they completed in (between
// two connections dialed by the same router, the newer one).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/address.h"
#include "core/peer_channel.h"
#include "peer/session.h"

namespace pairgate::peer {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;
using ConnId = std::uint64_t;

// connecting: never up since start (or since the peer section changed);
// up: a connection is the channel; down: it was up and is lost.
enum class LinkState { connecting, up, down };
std::string_view to_string(LinkState s);

struct ChannelOptions {
  std::string node{};
  std::string software{};
  Key master{};
  IpAddress peer{};                   // connections are accepted from this address only
  Duration ping_interval = 1s;
  Duration dead_after = 4s;           // nothing heard for this long: the connection is dead
  Duration handshake_timeout = 5s;    // from the dial or accept to the peer's hello
  Duration backoff_min = 250ms;       // first redial after a failure, doubling up to backoff_max
  Duration backoff_max = 5s;
  std::size_t max_queue = 4u << 20;   // bytes not yet written before send() says full
  std::size_t max_pending = 4;        // connections in their handshake at once
};

// Effects, carried out in order by the adapter.
struct Dial {
  ConnId conn;
};
struct Write {
  ConnId conn;
  std::vector<std::byte> bytes;
};
struct Close {  // the adapter closes the socket and reports nothing more about it
  ConnId conn;
};
struct Rejected {  // for the log (rate-limited there); already counted
  Reject reason;
  std::string detail;
};
struct StateChanged {
  LinkState from;
  LinkState to;
  std::string reason;
  std::string peer_node;
};
using Effect = std::variant<Dial, Write, Close, Rejected, StateChanged>;

struct ChannelCounters {
  std::uint64_t messages_out = 0, messages_in = 0;  // frames after the hello, on the channel
  std::uint64_t bytes_out = 0, bytes_in = 0;        // on the wire, every connection
  std::array<std::uint64_t, kRejectCount> rejected{};
  std::uint64_t dials = 0, dial_failures = 0, accepted = 0;
  std::uint64_t sessions = 0;   // connections that completed the handshake
  std::uint64_t replaced = 0;   // of those, closed because the other connection won
  std::uint64_t timeouts = 0;   // channels dropped after dead_after of silence
};

class Channel final : public PeerChannel {
 public:
  using Random = std::function<void(std::span<std::uint8_t>)>;
  Channel(ChannelOptions options, Random random);
  ~Channel() override;

  // PeerChannel.
  void attach(PeerMessageType first, std::string name, PeerUser& user) override;
  void detach(PeerUser& user) override;
  bool send(PeerMessageType type, std::span<const std::byte> payload) override;
  bool is_up() const override { return active_ != 0; }

  // Starts dialing; stop() closes every connection and dials no more.
  void start(TimePoint now);
  void stop(TimePoint now);

  // What the adapter's sockets did.
  void connected(ConnId conn, TimePoint now);
  void dial_failed(ConnId conn, TimePoint now, const std::string& why);
  // A connection was accepted from `from`: its id, or 0 when it is refused
  // (the adapter closes it).
  ConnId accepted(const IpAddress& from, TimePoint now);
  void received(ConnId conn, std::span<const std::byte> bytes, TimePoint now);
  void written(ConnId conn, std::size_t bytes);
  void closed(ConnId conn, TimePoint now, const std::string& why);
  void tick(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  std::vector<Effect> take_effects() { return std::exchange(effects_, {}); }

  LinkState state() const { return state_; }
  TimePoint since() const { return since_; }
  std::optional<TimePoint> last_message() const { return last_message_; }
  std::optional<Duration> rtt() const { return rtt_; }
  std::size_t queued() const;
  const ChannelCounters& counters() const { return counters_; }
  const std::string& peer_node() const { return peer_node_; }
  const std::string& down_reason() const { return down_reason_; }
  std::size_t connections() const { return conns_.size(); }
  // Whether this side dialed the connection that is the channel.
  std::optional<Role> role() const;

 private:
  struct Conn {
    ConnId id = 0;
    std::unique_ptr<Session> session;
    bool established = false;
    TimePoint opened{};
    TimePoint last_rx{};
    TimePoint next_ping{};
    std::optional<std::pair<std::uint64_t, TimePoint>> ping_out;
    std::size_t queued = 0;
    std::string peer_node;
  };
  struct User {
    std::string name;
    PeerUser* user = nullptr;
  };

  Conn& open(Role role, TimePoint now);
  void dial(TimePoint now);
  void write(Conn& c, std::vector<std::byte> bytes);
  void seal(Conn& c, PeerMessageType type, std::span<const std::byte> payload);
  void frame(Conn& c, Frame f, TimePoint now);
  void establish(Conn& c, Hello hello, TimePoint now);
  void reject(Conn& c, Reject why, std::string detail, TimePoint now);
  void count(Reject why, std::string detail);
  // Closes c (Close effect) and forgets it.
  void drop(ConnId id, TimePoint now, const std::string& why);
  // c is gone: forget it, and if it was the channel, tell the users.
  void forget(ConnId id, TimePoint now, const std::string& why);
  void set_state(LinkState to, TimePoint now, std::string reason);
  const std::string& dialer_of(const Conn& c) const;
  std::vector<PeerUser*> users() const;

  ChannelOptions options_;
  Random random_;
  std::map<PeerMessageType, User> users_;
  std::map<ConnId, Conn> conns_;
  ConnId next_id_ = 1;
  ConnId active_ = 0;
  ConnId dialing_ = 0;
  bool running_ = false;
  std::optional<TimePoint> next_dial_;
  Duration backoff_;
  bool want_writable_ = false;
  std::uint64_t next_token_ = 1;
  LinkState state_ = LinkState::connecting;
  TimePoint since_{};
  std::optional<TimePoint> last_message_;
  std::optional<Duration> rtt_;
  std::string peer_node_;
  std::string down_reason_;
  ChannelCounters counters_;
  std::vector<Effect> effects_;
};

}  // namespace pairgate::peer
