// Tunnel health: probe rounds and the UP / DEGRADED / DOWN state machine.
// No I/O and no clock: the service passes `now`, sends the probes this
// engine asks for, feeds back the replies and arms a timer for deadline().
//
// Every `interval` a round goes out: an ICMPv6 echo to the AFTR over the
// WAN and an ICMP echo to each IPv4 target through the tunnel, all with the
// round's sequence number. A round is judged when every reply is in or
// `timeout` after it went out:
//   - with targets, it succeeds when at least one target answered and is
//     full when all did; the AFTR's answer is reported (aftr_failed) but
//     does not decide, since an AFTR may filter echo and still carry traffic;
//   - without targets, the AFTR's answer decides.
// DOWN after `down_after` failed rounds in a row, or as soon as nothing has
// answered for `down_after` intervals once `down_after` - 1 rounds in a row
// have failed (the last round need not wait out its timeout: with
// `timeout` = `interval`, detection takes down_after intervals, not one
// more); from DOWN, UP after
// `up_after` successful rounds (DEGRADED if the last was not full);
// DEGRADED after `down_after` rounds in a row that were not full;
// from DEGRADED, UP after `up_after` full rounds.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/address.h"
#include "tunnel/aftr.h"

namespace pairgate::tunnel {

enum class State { down, degraded, up };
std::string_view to_string(State s);  // "DOWN", "DEGRADED", "UP"

struct HealthSettings {
  Duration interval = std::chrono::seconds(1);
  Duration timeout = std::chrono::seconds(1);
  unsigned down_after = 3;
  unsigned up_after = 3;
  std::vector<Ipv4Address> targets;
};

struct SendProbe {
  IpAddress destination;      // IPv4: a target, through the tunnel; IPv6: the AFTR, over the WAN
  std::uint16_t sequence = 0;
  bool operator==(const SendProbe&) const = default;
};

// A change of state, or of the reason while the state stays (from == to).
struct Transition {
  State from = State::down;
  State to = State::down;
  std::string reason;
};

struct HealthEffects {
  std::vector<SendProbe> probes;
  std::optional<Transition> transition;
  bool aftr_failed = false;  // the AFTR just missed its down_after-th probe in a row
  bool judged = false;       // a round was judged
};

struct HealthCounters {
  std::uint64_t rounds = 0;
  std::uint64_t probes_sent = 0;
  std::uint64_t replies = 0;
  std::uint64_t late_replies = 0;     // after their round was judged
  std::uint64_t unexpected_replies = 0;  // not from a destination of the round
};

class HealthEngine {
 public:
  explicit HealthEngine(HealthSettings settings);

  // Starts probing (a round goes out at once). The state stays as it is
  // until rounds decide otherwise. `aftr`: none probes the targets only.
  HealthEffects start(std::optional<Ipv6Address> aftr, TimePoint now);
  // Stops probing and goes DOWN with `reason` (no WAN address, no link...).
  HealthEffects halt(const std::string& reason);
  // A new AFTR address: later rounds probe it; its counters start afresh.
  void set_aftr(std::optional<Ipv6Address> aftr);
  // New settings (a reload); probing goes on with the new ones from the
  // next round, the state and streaks are kept.
  void configure(HealthSettings settings);

  // The path under the probes changed (the link was updated to a new local
  // or remote address): a round in flight may be lost on the way, so the
  // failures so far are forgotten and counting starts again from `now`.
  void grace(TimePoint now);

  HealthEffects on_reply(const IpAddress& from, std::uint16_t sequence, TimePoint now);
  HealthEffects on_timer(TimePoint now);
  // When on_timer is due next; none while halted.
  std::optional<TimePoint> deadline() const;

  State state() const { return state_; }
  const std::string& reason() const { return reason_; }
  bool probing() const { return probing_; }
  unsigned failures() const { return fail_streak_; }  // failed rounds in a row
  std::optional<double> last_rtt_ms() const { return last_rtt_ms_; }
  std::optional<double> aftr_rtt_ms() const { return aftr_rtt_ms_; }
  unsigned aftr_failures() const { return aftr_fail_streak_; }
  const HealthCounters& counters() const { return counters_; }
  const HealthSettings& settings() const { return settings_; }

 private:
  struct Round {
    std::uint16_t sequence = 0;
    TimePoint sent;
    std::optional<Ipv6Address> aftr;
    bool aftr_answered = false;
    std::vector<bool> answered;  // per target
  };

  HealthEffects send_round(TimePoint now);
  HealthEffects judge();
  std::string all_targets() const;
  // "3 probes to 203.0.113.1 lost", naming `silent_aftr` when there is one.
  std::string lost_reason(unsigned count, const std::optional<Ipv6Address>& silent_aftr) const;
  void move(State to, const std::string& reason, HealthEffects& fx);
  std::string target_list(bool answered_ones) const;

  HealthSettings settings_;
  std::optional<Ipv6Address> aftr_;
  State state_ = State::down;
  std::string reason_ = "starting";
  bool probing_ = false;
  std::optional<Round> round_;
  TimePoint next_round_{};
  TimePoint last_ok_{};  // the last reply that made a round succeed
  std::uint16_t sequence_ = 0;
  unsigned ok_streak_ = 0;
  unsigned fail_streak_ = 0;
  unsigned full_streak_ = 0;
  unsigned missing_streak_ = 0;
  unsigned aftr_fail_streak_ = 0;
  std::optional<double> last_rtt_ms_;
  std::optional<double> aftr_rtt_ms_;
  HealthCounters counters_;
};

}  // namespace pairgate::tunnel
